"""Streak distillation: a drafter loss aligned with what speculative verification rewards.

Verification accepts a drafted block left to right and stops at the first rejection, so a round commits
1 + sum_i prod_{j<=i} a_j tokens on average, where a_j is the probability that drafted position j is accepted (the
expected accepted streak). A position only pays when every position before it was accepted. SpecDiff-2 (Sandler,
Christopher, Hartvigsen, Fioretto: "SpecDiff-2: Scaling Diffusion Drafter Alignment For Faster Speculative
Decoding", arXiv 2511.00606) trains the diffusion drafter for long accepted streaks on the target's own text
("streak distillation"); this module implements that idea in its left-to-right weighted form: position i's
distillation loss is weighted by the probability that positions 1 .. i-1 were accepted,

    L = sum_i w_i * l_i / sum_i w_i,        w_i = prod_{j<i} a_j   (no gradient through w),

with a_j the acceptance rule the engine applies to that kind of text:
  * greedy text (temperature 0): the drafter's argmax is accepted iff it is the target's token, a_j in {0, 1};
  * sampled text (temperature T): speculative sampling accepts with probability sum_x min(p_T(x), q_T(x)), the
    overlap of the target's and the drafter's distributions at T (here over the target's top-K tokens, a lower bound).
The per-position loss l_i is the cross-entropy against the target's own distribution (its top-K, renormalised) plus
hard_weight times the cross-entropy of the token the target actually produced.

Shapes: B rows, G block positions, V target vocabulary (the drafter's without MASK), K recorded target tokens.
"""
import torch
import torch.nn.functional as F


def acceptance(logits, tokens, top_ids, top_pt, greedy_rows, temperature):
    """(B, G) per-position acceptance probability, no gradient. logits (B, G, V) of the drafter; tokens (B, G) the
    target's tokens; top_ids (B, G, K) and top_pt (B, G, K) the target's top tokens and their probabilities at
    temperature; greedy_rows (B,) whether a row is greedy text."""
    with torch.no_grad():
        greedy = (logits.argmax(-1) == tokens).float()
        q = torch.softmax(logits / temperature, dim=-1).gather(-1, top_ids)
        sampled = torch.minimum(q, top_pt).sum(-1)
        return torch.where(greedy_rows[:, None], greedy, sampled)


def streak_weights(accept):
    """(B, G) w_i = prod_{j<i} a_j: the probability that the positions before i were all accepted (w_1 = 1)."""
    ones = torch.ones_like(accept[:, :1])
    return torch.cumprod(torch.cat([ones, accept[:, :-1]], dim=1), dim=1)


def expected_streak(accept):
    """(B,) expected number of accepted drafted tokens, sum_i prod_{j<=i} a_j."""
    return torch.cumprod(accept, dim=1).sum(dim=1)


def position_losses(logits, tokens, top_ids, top_p1, hard_weight):
    """(B, G) cross-entropy against the target's top-K distribution (renormalised) plus hard_weight times the
    cross-entropy of the target's token."""
    logq = F.log_softmax(logits, dim=-1)
    p = top_p1 / top_p1.sum(-1, keepdim=True)
    soft = -(p * logq.gather(-1, top_ids)).sum(-1)
    hard = -logq.gather(-1, tokens[..., None])[..., 0]
    return soft + hard_weight * hard


def streak_loss(logits, tokens, top_ids, top_p1, top_pt, greedy_rows, temperature=0.8, hard_weight=0.5, trained=None):
    """The streak-weighted distillation loss (a scalar). trained (B, G), optional: False for positions that are not
    drafted (already filled in by an earlier denoising step); they count as accepted and carry no loss."""
    accept = acceptance(logits, tokens, top_ids, top_pt, greedy_rows, temperature)
    if trained is not None:
        accept = torch.where(trained, accept, torch.ones_like(accept))
    weights = streak_weights(accept)
    if trained is not None:
        weights = weights * trained.float()
    losses = position_losses(logits, tokens, top_ids, top_p1, hard_weight)
    return (weights * losses).sum() / weights.sum().clamp_min(1e-6)
