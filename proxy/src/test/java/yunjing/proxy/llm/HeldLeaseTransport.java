package yunjing.proxy.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A lease transport whose answers the test gives by hand, in order: the owner of a key's budget, held still. */
final class HeldLeaseTransport implements LeaseTransport {
    final List<LeaseMessages.Ask> asks = new ArrayList<>();
    final List<CompletableFuture<LeaseMessages.Grant>> answers = new ArrayList<>();

    @Override
    public CompletableFuture<LeaseMessages.Grant> ask(LeaseMessages.Ask ask) {
        asks.add(ask);
        CompletableFuture<LeaseMessages.Grant> answer = new CompletableFuture<>();
        answers.add(answer);
        return answer;
    }

    /** Answers the latest ask with {@code n} requests for 5 s. */
    void grant(int n) {
        answers.getLast().complete(new LeaseMessages.Grant(n, 5_000, 0, null));
    }

    /** Answers the latest ask with {@code granted} requests and the owner's token verdict. */
    void answer(int granted, long tokensRetryAfter) {
        answers.getLast().complete(new LeaseMessages.Grant(granted, 5_000, 0, null, tokensRetryAfter));
    }
}
