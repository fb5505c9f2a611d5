package yunjing.deploy.run;

/** Whether nodes listen on the topology's ports or on ephemeral ones (tests, several clusters at once). */
public enum PortMode {
    TOPOLOGY, EPHEMERAL
}
