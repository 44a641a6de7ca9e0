package dev.specdiff4j.engine.decoding;

/**
 * One generation's acceptance state for speculative rounds run by someone else's loop (the batch scheduler verifies drafts
 * in its shared passes): the acceptance rule, the seeded stream it draws from and the adaptive γ. It consumes the stream and
 * moves γ exactly as {@link SpeculativeDecoder} does (linear drafts, no overlap, no tree), so a loop that drafts the same
 * lengths produces the same tokens, greedy or sampled.
 */
public final class SpeculativeRounds {
    private final SpeculativeSettings settings;
    private final int vocab;
    private final Acceptance.Rule rule;
    private final Sampler random;
    private int gamma;
    private int rounds;
    private int drafted;
    private int accepted;

    /** What the target kept of a draft and the token it adds after them (the replacement or the bonus token). */
    public record Outcome(int accepted, int next) {
    }

    public SpeculativeRounds(SpeculativeSettings settings, int vocab) {
        if (settings.usesTree() || settings.overlap()) {
            throw new IllegalArgumentException("rounds run by a batch are linear and not overlapped: use SpeculativeDecoder for trees and overlap");
        }
        this.settings = settings;
        this.vocab = vocab;
        this.rule = Acceptance.of(settings.policy());
        this.random = new Sampler(settings.sampling());
        this.gamma = settings.gamma();
    }

    /** The draft length this generation's own acceptance asks for next. */
    public int gamma() {
        return gamma;
    }

    /**
     * How many leading tokens of a draft a target of {@code vocab} rows has rows for: the draft to feed its verification pass
     * (a later token is never accepted, see {@link #verify}).
     */
    public static int verifiable(int[] draft, int vocab) {
        return Acceptance.verifiable(draft, vocab);
    }

    /**
     * Decides a round: {@code draft} (its probability rows, or null when greedy) against the target's
     * {@code verifiable(draft) + 1} rows, which follow the last committed token and each verifiable drafted one. A drafted
     * token the target has no row for is rejected. Moves γ on.
     */
    public Outcome verify(int[] draft, double[][] draftRows, float[][] targetRows) {
        int fed = Acceptance.verifiable(draft, vocab);
        if (targetRows.length != fed + 1) {
            throw new IllegalArgumentException("a draft of " + draft.length + " tokens, " + fed + " of them with target rows, needs "
                    + (fed + 1) + " target rows, got " + targetRows.length);
        }
        Acceptance.Outcome o = rule.decide(draft, draftRows, targetRows, vocab, settings.sampling(), random);
        rounds++;
        drafted += draft.length;
        accepted += o.accepted();
        gamma = settings.next(gamma, o.accepted() == draft.length && draft.length > 0);
        return new Outcome(o.accepted(), o.next());
    }

    public int rounds() {
        return rounds;
    }

    public int drafted() {
        return drafted;
    }

    public int accepted() {
        return accepted;
    }
}
