package yunjing.origin.model;

/**
 * The English text the test model's BPE merges are learned from. Written for this project (no third-party
 * text), plain enough that common words and suffixes become tokens.
 */
final class TrainingText {

    static final String TEXT = """
            The mirror keeps a copy of every model close to the people who use it. When a request arrives at the \
            edge, the node looks in its memory first, then on its disk, and only then asks the regional node. The \
            regional node does the same before it asks the central node, and the central node asks the origin. \
            Each answer flows back the same way and every tier keeps what it saw, so the next request for the same \
            thing stops much earlier on the road.

            A smart name server decides which edge a client should talk to. It looks at the address of the client, \
            the carrier that owns the network, the province where the network lives, and the time that recent \
            requests took. Then it answers with the address of the best healthy edge. When an edge is sick or \
            slow, the name server stops sending people there until it is well again.

            The origin is where the answers are made. It loads the weights of a language model into memory, reads \
            the words of a conversation, turns them into tokens, and predicts the next token again and again. \
            Every new token is sent to the client as soon as it is ready, so the reader sees the text grow one \
            piece at a time. When the model writes the end of its turn, or the answer reaches the longest length \
            that was asked for, the origin stops and says why it stopped.

            In the morning the weather was cold and the river was quiet. The children walked along the water to \
            the old bridge, where the baker sold warm bread and the fisher counted the boats. They talked about the \
            mountains in the north, the rain in the south, and the long road that connects the cities of the east \
            and the west. In the evening the lights of the town came on one by one, and the people went home to \
            eat, to read, and to rest.

            Good software is written to be read. Each part should do one thing, say what it expects, and fail with \
            a message that tells the reader what to change. Tests should describe the behaviour they check, run \
            quickly, and give the same result every time they run. When a number is measured, it should be \
            compared with a known peer in the same run, and the method should be written down next to the result.
            """;

    private TrainingText() {}
}
