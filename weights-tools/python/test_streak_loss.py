#!/usr/bin/python3
"""Unit tests of streak_loss.py (no training, no data): /usr/bin/python3 -m unittest weights-tools/python/test_streak_loss.py
(needs PyTorch; .ci/run runs them where it is installed). Expected values are worked out by hand in the comments."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import streak_loss  # noqa: E402

BIG = 20.0  # a logit margin that makes softmax a near point mass (e^-20 ~ 2e-9)


def point_logits(tokens, vocab):
    """(1, G, vocab) logits whose argmax at position i is tokens[i]."""
    logits = torch.zeros(1, len(tokens), vocab)
    for i, t in enumerate(tokens):
        logits[0, i, t] = BIG
    return logits


def full_topk(probs):
    """Every token of a (G, V) distribution as its 'top-K' (K = V), batch of one."""
    g, v = probs.shape
    return torch.arange(v).expand(1, g, v).clone(), probs[None]


class StreakWeightsTest(unittest.TestCase):
    def test_weights_are_the_exclusive_running_product(self):
        a = torch.tensor([[1.0, 0.5, 0.5, 0.2], [0.0, 1.0, 1.0, 1.0]])
        # w = (1, a1, a1 a2, a1 a2 a3)
        expected = torch.tensor([[1.0, 1.0, 0.5, 0.25], [1.0, 0.0, 0.0, 0.0]])
        self.assertTrue(torch.allclose(streak_loss.streak_weights(a), expected))

    def test_expected_streak(self):
        a = torch.tensor([[0.5, 0.5, 1.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
        # 0.5 + 0.25 + 0.25 ; 1 + 1 + 1 ; 0
        self.assertTrue(torch.allclose(streak_loss.expected_streak(a), torch.tensor([1.0, 3.0, 0.0])))


class AcceptanceTest(unittest.TestCase):
    def test_greedy_rows_accept_exactly_the_target_argmax(self):
        logits = point_logits([3, 1, 2], 5)
        tokens = torch.tensor([[3, 2, 2]])
        ids, probs = full_topk(torch.full((3, 5), 0.2))
        a = streak_loss.acceptance(logits, tokens, ids, probs, torch.tensor([True]), 0.8)
        self.assertEqual(a.tolist(), [[1.0, 0.0, 1.0]])

    def test_sampled_rows_accept_with_the_overlap_of_the_two_distributions(self):
        # temperature 1 so that q is the softmax of the logits as given
        q = torch.tensor([[0.5, 0.3, 0.2, 0.0], [0.25, 0.25, 0.25, 0.25]])
        p = torch.tensor([[0.2, 0.2, 0.2, 0.4], [0.25, 0.25, 0.25, 0.25]])
        logits = torch.log(q.clamp_min(1e-12))[None]
        ids, probs = full_topk(p)
        a = streak_loss.acceptance(logits, torch.tensor([[0, 0]]), ids, probs, torch.tensor([False]), 1.0)
        # sum min(p, q) = 0.2 + 0.2 + 0.2 + 0 = 0.6 ; identical distributions overlap fully
        self.assertTrue(torch.allclose(a, torch.tensor([[0.6, 1.0]]), atol=1e-6))

    def test_sampled_acceptance_uses_the_drafter_at_the_sampling_temperature(self):
        logits = torch.log(torch.tensor([[[0.8, 0.2]]]))
        ids, probs = full_topk(torch.tensor([[0.5, 0.5]]))
        a = streak_loss.acceptance(logits, torch.tensor([[0]]), ids, probs, torch.tensor([False]), 0.5)
        # q at T = 0.5: (0.64, 0.04) / 0.68 ; overlap with (0.5, 0.5) = 0.5 + 0.04 / 0.68
        self.assertAlmostEqual(a.item(), 0.5 + 0.04 / 0.68, places=5)


class StreakLossTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.vocab = 6
        self.tokens = torch.tensor([[4, 1, 2, 5]])
        self.ids, self.p1 = full_topk(torch.softmax(torch.randn(4, self.vocab), -1))
        self.greedy = torch.tensor([True])

    def loss(self, logits, **kw):
        return streak_loss.streak_loss(logits, self.tokens, self.ids, self.p1, self.p1, self.greedy, **kw)

    def test_positions_after_the_first_greedy_rejection_get_no_gradient(self):
        # argmax right at positions 1 and 2, wrong at 3: positions 1..3 are trained, 4 is not (w4 = a1 a2 a3 = 0)
        logits = point_logits([4, 1, 0, 5], self.vocab).requires_grad_()
        self.loss(logits).backward()
        norms = logits.grad[0].norm(dim=-1)
        self.assertGreater(norms[0].item(), 0)
        self.assertGreater(norms[2].item(), 0)
        self.assertEqual(norms[3].item(), 0.0)

    def test_equals_the_mean_position_loss_over_the_accepted_prefix(self):
        logits = point_logits([4, 0, 2, 5], self.vocab)
        per = streak_loss.position_losses(logits, self.tokens, self.ids, self.p1, 0.5)
        # a = (1, 0, ...): w = (1, 1, 0, 0), so the loss is the mean of the first two position losses
        self.assertAlmostEqual(self.loss(logits).item(), (per[0, 0] + per[0, 1]).item() / 2, places=5)

    def test_position_loss_is_soft_plus_weighted_hard_cross_entropy(self):
        logits = torch.zeros(1, 1, 4)  # uniform drafter: every log q = -log 4
        ids, p = full_topk(torch.tensor([[0.1, 0.2, 0.3, 0.4]]))
        per = streak_loss.position_losses(logits, torch.tensor([[2]]), ids, p, 0.5)
        self.assertAlmostEqual(per.item(), 1.5 * math.log(4), places=5)

    def test_positions_not_drafted_count_as_accepted_and_carry_no_loss(self):
        logits = point_logits([0, 1, 2, 0], self.vocab)  # position 1 wrong, but it was filled in earlier: not drafted
        trained = torch.tensor([[False, True, True, True]])
        per = streak_loss.position_losses(logits, self.tokens, self.ids, self.p1, 0.5)
        # a = (1 [not drafted], 1, 1, 0): w = (0 [not trained], 1, 1, 1)
        expected = (per[0, 1] + per[0, 2] + per[0, 3]).item() / 3
        self.assertAlmostEqual(self.loss(logits, trained=trained).item(), expected, places=5)

    def test_a_better_first_position_lowers_the_loss(self):
        logits = torch.zeros(1, 4, self.vocab, requires_grad=True)
        self.loss(logits).backward()
        # descending the gradient raises the first position's probability of the target's token
        step = torch.zeros(1, 4, self.vocab) - 0.5 * logits.grad
        before = torch.log_softmax(torch.zeros(self.vocab), -1)[4]
        after = torch.log_softmax(step[0, 0], -1)[4]
        self.assertGreater(after.item(), before.item())


if __name__ == "__main__":
    unittest.main()
