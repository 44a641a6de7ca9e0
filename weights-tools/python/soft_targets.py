"""The target's own next-token distribution at a sampling temperature, as a training label and a measure for a drafter
whose logits cover only a draft vocabulary V (a subset of the target's).

The target's distribution p_T = softmax(target logits / T) is kept as its logits on V (the rest is summarised by the
full-vocabulary log-sum-exp), so p_T(x) for x in V is exact and the mass outside V, 1 − Σ_V p_T, is known. The drafter
drafts with q_T = softmax(draft logits / T) over V, as the engine does when sampling. Its loss is the cross-entropy
−Σ_{x∈V} p_T(x) log q_T(x): the mass outside V is not renormalised away but counts for nothing (no draft can earn it),
so the loss is minimised by q_T = p_T restricted to V and renormalised, the drafter that reaches the best MARGINAL
acceptance V allows, Σ_{x∈V} p_T(x).

The engine's two sampling rules (docs/ALGORITHM.md, section 4) accept differently. MARGINAL (speculative sampling of
Leviathan et al., d drawn from q_T) accepts with probability Σ_x min(p_T(x), q_T(x)). STRICT accepts a fixed guess d with
probability p_T(d): a d drawn from q_T is accepted with Σ_x q_T(x) p_T(x), the most likely draft token argmax q with
p_T(argmax q), which is what the engine's block drafter drafts under STRICT.
"""
import torch


def target_log_probs(target_logits_v, target_lse, temperature):
    """log p_T(x) for x in V: target_logits_v (..., N) the target's logits at the draft ids (any float dtype),
    target_lse (...) the log-sum-exp over the whole target vocabulary of logits / temperature."""
    return target_logits_v.float() / temperature - target_lse[..., None]


def full_lse(logits, temperature):
    """The log-sum-exp over the whole vocabulary of logits / temperature (the normaliser target_log_probs needs)."""
    return torch.logsumexp(logits.float() / temperature, dim=-1)


def cross_entropy(draft_logits, target_logits_v, target_lse, temperature):
    """−Σ_{x∈V} p_T(x) log q_T(x) per row: draft_logits (..., N) over V in the same order as target_logits_v."""
    p = target_log_probs(target_logits_v, target_lse, temperature).exp()
    log_q = torch.log_softmax(draft_logits.float() / temperature, dim=-1)
    return -(p * log_q).sum(-1)


def marginal_acceptance(draft_logits, target_logits_v, target_lse, temperature):
    """Σ_x min(p_T(x), q_T(x)) per row: the probability that MARGINAL acceptance (speculative sampling) accepts a token
    drawn from q_T."""
    p = target_log_probs(target_logits_v, target_lse, temperature).exp()
    q = torch.softmax(draft_logits.float() / temperature, dim=-1)
    return torch.minimum(p, q).sum(-1)


def strict_acceptance_of_draw(draft_logits, target_logits_v, target_lse, temperature):
    """Σ_x q_T(x) p_T(x) per row: the probability that STRICT acceptance accepts a token drawn from q_T."""
    p = target_log_probs(target_logits_v, target_lse, temperature).exp()
    q = torch.softmax(draft_logits.float() / temperature, dim=-1)
    return (p * q).sum(-1)


def strict_acceptance_of_guess(draft_logits, target_logits_v, target_lse, temperature):
    """p_T(argmax q) per row: the probability that STRICT acceptance accepts the drafter's most likely token."""
    log_p = target_log_probs(target_logits_v, target_lse, temperature)
    return log_p.gather(-1, draft_logits.argmax(-1, keepdim=True)).squeeze(-1).exp()


def coverage(target_logits_v, target_lse, temperature):
    """Σ_{x∈V} p_T(x) per row: the most any drafter over V can be accepted with."""
    return target_log_probs(target_logits_v, target_lse, temperature).exp().sum(-1)
