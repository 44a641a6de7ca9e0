package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;

import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Speculative decoding (docs/ALGORITHM.md, "One speculative round"): draft γ tokens, verify them with one
 * batched target pass over γ+1 positions, accept a prefix, add the target's replacement or bonus token, roll
 * the target's KV cache back to what was committed, repeat.
 *
 * <p>With overlap on, while the target verifies block k the drafter already drafts block k+1 on its own
 * kernels, assuming block k is accepted in full and the target's bonus token equals the drafter's own
 * guess for it. If that turns out true the early draft is exactly the one the next round would have
 * made (drafts depend only on the committed sequence and the seed), otherwise it is thrown away; so
 * overlap changes only the time, never the output.
 */
public final class SpeculativeDecoder {
    private final CausalLanguageModel target;
    private final Drafter drafter;
    private final ExecutorService background;
    private final Acceptance.Rule ruleOverride;
    private final TreeAcceptance.Rule treeRuleOverride;

    /** @param background the thread that drafts ahead when overlap is on (may be null otherwise) */
    public SpeculativeDecoder(CausalLanguageModel target, Drafter drafter, ExecutorService background) {
        this(target, drafter, background, null);
    }

    SpeculativeDecoder(CausalLanguageModel target, Drafter drafter, ExecutorService background, Acceptance.Rule ruleOverride) {
        this(target, drafter, background, ruleOverride, null);
    }

    SpeculativeDecoder(CausalLanguageModel target, Drafter drafter, ExecutorService background, Acceptance.Rule ruleOverride,
                       TreeAcceptance.Rule treeRuleOverride) {
        this.target = target;
        this.drafter = drafter;
        this.background = background;
        this.ruleOverride = ruleOverride;
        this.treeRuleOverride = treeRuleOverride;
    }

    public DecodeStats decode(int[] prompt, int maxTokens, SpeculativeSettings settings, int eosId, TokenSink sink,
                              BooleanSupplier cancelled) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (settings.overlap() && background == null) throw new IllegalStateException("overlap needs a background drafting thread");
        if (settings.usesTree()) return decodeTree(prompt, maxTokens, settings, eosId, sink, cancelled);
        int vocab = target.vocabSize();
        int context = target.contextLength();
        Sampler random = new Sampler(settings.sampling());
        Committed seq = new Committed(prompt);
        int rounds = 0;
        int drafted = 0;
        int accepted = 0;
        long draftNanos = 0;
        long verifyNanos = 0;
        int draftsAhead = 0;
        FinishReason reason = FinishReason.LENGTH;
        int gamma = settings.gamma();
        Acceptance.Rule rule = ruleOverride != null ? ruleOverride : Acceptance.of(settings.policy());
        boolean feeds = drafter.targetFeatureLayers().length > 0;
        if (feeds && settings.overlap()) {
            throw new IllegalArgumentException("overlapped drafting cannot be combined with a drafter that reads the target's hidden "
                    + "states (" + drafter.describe() + "): its next block needs the features of the block being verified");
        }
        try (CausalLanguageModel.Session session = target.newSession();
             Drafter.Session drafts = drafter.open(settings.sampling(), settings.sampling().seed(), settings.policy())) {
            long start = System.nanoTime();
            prefill(session, drafts, prompt, feeds);
            long prefill = System.nanoTime() - start;
            long decodeStart = System.nanoTime();
            Drafter.Proposal ready = null;
            while (seq.generated < maxTokens) {
                FinishReason halt = seq.haltBeforeRound(cancelled, context);
                if (halt != null) {
                    reason = halt;
                    break;
                }
                int g = Math.min(gamma, Math.min(context - seq.n, maxTokens - seq.generated));
                // 1. draft
                Drafter.Proposal proposal = null;
                if (g > 0) {
                    long t0 = System.nanoTime();
                    if (ready != null && ready.tokens().length == g) {
                        proposal = ready;
                        draftsAhead++;
                    } else {
                        proposal = drafts.propose(Arrays.copyOf(seq.tokens, seq.n), g, settings.overlap(), () -> false);
                    }
                    draftNanos += System.nanoTime() - t0;
                }
                ready = null;
                int[] draft = proposal == null ? new int[0] : proposal.tokens();
                // overlapped: draft the next block assuming this one is accepted whole and the bonus is the guess
                Future<Drafter.Proposal> ahead = null;
                AtomicBoolean abandon = new AtomicBoolean();
                int gammaIfAccepted = settings.next(gamma, true);
                if (settings.overlap() && proposal != null && proposal.guess() >= 0) {
                    int[] assumed = Arrays.copyOf(seq.tokens, seq.n + g + 1);
                    System.arraycopy(draft, 0, assumed, seq.n, g);
                    assumed[seq.n + g] = proposal.guess();
                    int nextG = Math.min(gammaIfAccepted, Math.min(context - assumed.length, maxTokens - seq.generated - g - 1));
                    if (nextG > 0) ahead = background.submit(() -> drafts.propose(assumed, nextG, true, abandon::get));
                }
                // 2. verify: one pass over the last committed token and the draft, up to a token the target has no row for
                long t1 = System.nanoTime();
                int verifiable = Acceptance.verifiable(draft, vocab);
                int[] pass = new int[verifiable + 1];
                pass[0] = seq.tokens[seq.n - 1];
                System.arraycopy(draft, 0, pass, 1, verifiable);
                float[][] rows = session.forward(pass);
                verifyNanos += System.nanoTime() - t1;
                // 3. accept
                Acceptance.Outcome outcome = rule.decide(draft, proposal == null ? null : proposal.rows(), rows, vocab,
                        settings.sampling(), random);
                rounds++;
                drafted += g;
                accepted += outcome.accepted();
                boolean all = outcome.accepted() == g;
                // 4. commit and roll the cache back to n - 1 + accepted + 1 positions
                session.truncate(seq.n + outcome.accepted());
                if (feeds) drafts.observeTargetFeatures(seq.n - 1, session.features(), outcome.accepted() + 1);
                int[] emitted = Arrays.copyOf(draft, outcome.accepted() + 1);
                emitted[outcome.accepted()] = outcome.next();
                if (ahead != null) {
                    boolean usable = all && g > 0 && outcome.next() == proposal.guess();
                    if (!usable) abandon.set(true);
                    long t2 = System.nanoTime();
                    Drafter.Proposal early = await(ahead);
                    if (usable) {
                        ready = early;
                        draftNanos += System.nanoTime() - t2;
                    }
                }
                gamma = settings.next(gamma, all && g > 0);
                FinishReason finished = seq.emit(emitted, eosId, maxTokens, sink);
                if (finished != null) {
                    reason = finished;
                    break;
                }
            }
            return new DecodeStats(prompt.length, seq.generated, prefill, System.nanoTime() - decodeStart, rounds, drafted, accepted,
                    draftNanos, verifyNanos, draftsAhead, reason);
        }
    }

    /**
     * Token-tree rounds (docs/ALGORITHM.md, "Token trees"): the drafter's candidates for γ positions grow a tree under the
     * budget (fixed, or chosen per round from the target's cost curve), the target verifies every node in one pass with an
     * ancestor-only mask, the accepted path's cache rows are compacted into place and the rest dropped. A cost-aware chain
     * is the same with one candidate per position: the draft length chosen per round.
     */
    private DecodeStats decodeTree(int[] prompt, int maxTokens, SpeculativeSettings settings, int eosId, TokenSink sink,
                                   BooleanSupplier cancelled) {
        int vocab = target.vocabSize();
        int context = target.contextLength();
        Sampler random = new Sampler(settings.sampling());
        TreeAcceptance.Rule rule = treeRuleOverride != null ? treeRuleOverride : TreeAcceptance.of(settings.policy());
        boolean auto = settings.costAware();
        int maxBudget = auto ? SpeculativeSettings.AUTO_TREE_MAX : settings.tree();
        int width = settings.tree() == SpeculativeSettings.TREE_CHAIN ? 1 : SpeculativeSettings.TREE_WIDTH;
        Committed seq = new Committed(prompt);
        int rounds = 0;
        int drafted = 0;
        int accepted = 0;
        long draftNanos = 0;
        long verifyNanos = 0;
        FinishReason reason = FinishReason.LENGTH;
        AcceptanceEstimate estimate = new AcceptanceEstimate();
        boolean feeds = drafter.targetFeatureLayers().length > 0;
        try (CausalLanguageModel.Session session = target.newSession();
             Drafter.Session drafts = drafter.open(settings.sampling(), settings.sampling().seed(), settings.policy())) {
            if (!session.supportsTrees()) throw new IllegalArgumentException("this target (" + target.describe() + ") cannot verify token trees");
            VerifyCost cost = auto ? VerifyCost.of(target) : null;
            long start = System.nanoTime();
            prefill(session, drafts, prompt, feeds);
            long prefill = System.nanoTime() - start;
            long decodeStart = System.nanoTime();
            while (seq.generated < maxTokens) {
                FinishReason halt = seq.haltBeforeRound(cancelled, context);
                if (halt != null) {
                    reason = halt;
                    break;
                }
                // the tree's rows occupy cache positions n-1 .. n-1+budget, so the budget shrinks near the context's end
                int room = context - seq.n;
                int depth = Math.min(settings.gamma(), Math.min(room, maxTokens - seq.generated));
                int budget = Math.min(maxBudget, room);
                TokenTree tree;
                TreeCandidates candidates = null;
                long t0 = System.nanoTime();
                if (depth > 0 && budget > 0) {
                    candidates = drafts.candidates(Arrays.copyOf(seq.tokens, seq.n), depth, Math.min(width, budget)).within(vocab);
                    tree = TokenTree.build(seq.tokens[seq.n - 1], candidates, budget, estimate);
                } else {
                    tree = TokenTree.chain(seq.tokens[seq.n - 1], new int[0]);
                }
                long roundDraft = System.nanoTime() - t0;
                if (auto && tree.budget() > 1) tree = tree.prefix(cost.bestBudget(tree, roundDraft));
                draftNanos += System.nanoTime() - t0;
                long t1 = System.nanoTime();
                int treeStart = seq.n - 1;
                CausalLanguageModel.TreeLogits rows = session.forwardTreeLazily(tree.tokens(), tree.parents());
                TreeAcceptance.Outcome outcome = rule.decide(tree, rows, vocab, settings.sampling(), random);
                verifyNanos += System.nanoTime() - t1; // the walk computes the logits it needs: verification time
                if (feeds) drafts.observeTargetFeatures(treeStart, pathRows(session.features(), tree.budget() + 1, outcome.path()), outcome.path().length);
                session.keepTreePath(treeStart, outcome.path());
                if (candidates != null) estimate.record(tree, candidates, outcome.path());
                rounds++;
                drafted += tree.budget();
                accepted += outcome.accepted();
                int[] emitted = new int[outcome.accepted() + 1];
                for (int i = 1; i < outcome.path().length; i++) emitted[i - 1] = tree.tokens()[outcome.path()[i]];
                emitted[outcome.accepted()] = outcome.next();
                FinishReason finished = seq.emit(emitted, eosId, maxTokens, sink);
                if (finished != null) {
                    reason = finished;
                    break;
                }
            }
            return new DecodeStats(prompt.length, seq.generated, prefill, System.nanoTime() - decodeStart, rounds, drafted, accepted,
                    draftNanos, verifyNanos, 0, reason);
        }
    }

    /**
     * Feeds the prompt but its last token to the target (that one is fed with the first draft); a drafter that reads the
     * target's hidden states gets those of the prompt's rows.
     */
    private void prefill(CausalLanguageModel.Session session, Drafter.Session drafts, int[] prompt, boolean feeds) {
        if (feeds) {
            if (!session.supportsFeatures()) {
                throw new IllegalArgumentException("the drafter (" + drafter.describe() + ") reads the target's hidden states, which this target ("
                        + target.describe() + ") does not expose");
            }
            session.captureFeatures(drafter.targetFeatureLayers());
        }
        if (prompt.length > 1) {
            session.forward(Arrays.copyOf(prompt, prompt.length - 1), 0);
            if (feeds) drafts.observeTargetFeatures(0, session.features(), prompt.length - 1);
        }
    }

    /** The feature rows of a tree's accepted path (its nodes in order), out of the rows of every node. */
    private static float[] pathRows(float[] features, int nodes, int[] path) {
        int width = features.length / nodes;
        float[] rows = new float[path.length * width];
        for (int i = 0; i < path.length; i++) System.arraycopy(features, path[i] * width, rows, i * width, width);
        return rows;
    }

    private static Drafter.Proposal await(Future<Drafter.Proposal> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while drafting ahead", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The prompt and the tokens committed after it; grows as rounds emit tokens. */
    private static final class Committed {
        int[] tokens;
        int n;
        int generated;

        Committed(int[] prompt) {
            tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
            n = prompt.length;
        }

        /** @return CANCELLED or CONTEXT when no further round may start, else null */
        FinishReason haltBeforeRound(BooleanSupplier cancelled, int context) {
            if (cancelled.getAsBoolean()) return FinishReason.CANCELLED;
            if (n - 1 >= context) return FinishReason.CONTEXT;
            return null;
        }

        /**
         * Commits a round's tokens one by one, handing each to the sink.
         * @return why decoding ends (EOS, STOP, or LENGTH on reaching maxTokens), or null to go on with another round
         */
        FinishReason emit(int[] emitted, int eosId, int maxTokens, TokenSink sink) {
            for (int token : emitted) {
                if (token == eosId) return FinishReason.EOS;
                if (n == tokens.length) tokens = Arrays.copyOf(tokens, n * 2);
                tokens[n++] = token;
                generated++;
                if (!sink.accept(new int[] {token})) return FinishReason.STOP;
                if (generated == maxTokens) return FinishReason.LENGTH;
            }
            return null;
        }
    }
}
