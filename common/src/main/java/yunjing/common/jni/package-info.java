/** Loading the JNI libraries that modules carry in their jars. */
package yunjing.common.jni;
