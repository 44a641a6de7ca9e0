#!/usr/bin/python3
"""Unit tests of soft_targets.py (no training, no data): /usr/bin/python3 -m unittest weights-tools/python/test_soft_targets.py
(needs PyTorch; .ci/run runs them where it is installed). Expected values are worked out by hand in the comments."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import soft_targets  # noqa: E402

# target logits (0, ln 3) over a vocabulary of 2: p_1 = (1/4, 3/4); at T = 1/2, p ∝ (1, 9) = (0.1, 0.9)
TARGET = torch.tensor([[0.0, math.log(3.0)]])


def restricted(ids, temperature):
    """The target's logits at the draft ids and its full normaliser at the temperature."""
    return TARGET[:, ids], soft_targets.full_lse(TARGET, temperature)


class TargetLogProbsTest(unittest.TestCase):
    def test_temperature_sharpens_the_target(self):
        v, lse = restricted([0, 1], 0.5)
        p = soft_targets.target_log_probs(v, lse, 0.5).exp()
        self.assertTrue(torch.allclose(p, torch.tensor([[0.1, 0.9]]), atol=1e-6))

    def test_half_precision_logits_give_the_same_probabilities(self):
        v, lse = restricted([0, 1], 1.0)
        p = soft_targets.target_log_probs(v.half(), lse, 1.0).exp()
        self.assertTrue(torch.allclose(p, torch.tensor([[0.25, 0.75]]), atol=1e-3))


class CrossEntropyTest(unittest.TestCase):
    def test_equals_the_entropy_when_the_draft_is_the_target(self):
        v, lse = restricted([0, 1], 1.0)
        # −(1/4 ln 1/4 + 3/4 ln 3/4) = 0.562335
        ce = soft_targets.cross_entropy(TARGET.clone(), v, lse, 1.0)
        self.assertAlmostEqual(ce.item(), 0.562335, places=5)

    def test_draft_logits_are_scaled_by_the_temperature(self):
        v, lse = restricted([0, 1], 0.5)
        # q_T = softmax(target logits / T) = p_T = (0.1, 0.9): −(0.1 ln 0.1 + 0.9 ln 0.9) = 0.325083
        ce = soft_targets.cross_entropy(TARGET.clone(), v, lse, 0.5)
        self.assertAlmostEqual(ce.item(), 0.325083, places=5)

    def test_minimised_by_the_target_restricted_to_the_draft_vocabulary(self):
        target = torch.tensor([[1.0, 0.0, 2.0, -1.0]])
        ids = [0, 2, 3]
        v, lse = target[:, ids], soft_targets.full_lse(target, 1.0)
        best = soft_targets.cross_entropy(target[:, ids].clone(), v, lse, 1.0)
        for shift in (torch.tensor([[0.3, 0.0, 0.0]]), torch.tensor([[0.0, -0.2, 0.1]]), torch.tensor([[0.0, 0.0, 1.0]])):
            self.assertGreater(soft_targets.cross_entropy(target[:, ids] + shift, v, lse, 1.0).item(), best.item())

    def test_mass_outside_the_draft_vocabulary_is_not_renormalised_away(self):
        v, lse = restricted([0], 1.0)
        # V = {0}: q = 1 on it, so −p(0) log 1 = 0 whatever the target puts on token 1
        ce = soft_targets.cross_entropy(torch.tensor([[5.0]]), v, lse, 1.0)
        self.assertAlmostEqual(ce.item(), 0.0, places=6)


class AcceptanceTest(unittest.TestCase):
    def test_marginal_acceptance_is_the_overlap(self):
        v, lse = restricted([0, 1], 1.0)
        # q uniform: min(1/4, 1/2) + min(3/4, 1/2) = 3/4
        a = soft_targets.marginal_acceptance(torch.zeros(1, 2), v, lse, 1.0)
        self.assertAlmostEqual(a.item(), 0.75, places=6)

    def test_strict_acceptance_of_a_draw_is_the_expected_target_probability(self):
        v, lse = restricted([0, 1], 1.0)
        # q uniform: 1/2 · 1/4 + 1/2 · 3/4 = 1/2
        self.assertAlmostEqual(soft_targets.strict_acceptance_of_draw(torch.zeros(1, 2), v, lse, 1.0).item(), 0.5, places=6)
        # at T = 1/2 the target is (0.1, 0.9) and draft logits (0, ln 2) give q ∝ (1, 4) = (0.2, 0.8): 0.02 + 0.72 = 0.74
        q_logits = torch.tensor([[0.0, math.log(2.0)]])
        v, lse = restricted([0, 1], 0.5)
        self.assertAlmostEqual(soft_targets.strict_acceptance_of_draw(q_logits, v, lse, 0.5).item(), 0.74, places=6)

    def test_strict_acceptance_of_the_guess_is_the_target_probability_of_the_drafts_argmax(self):
        v, lse = restricted([0, 1], 0.5)
        # argmax of (0, ln 2) is token 1: p_0.5(1) = 0.9, above the draw's 0.74 with the same logits
        self.assertAlmostEqual(soft_targets.strict_acceptance_of_guess(torch.tensor([[0.0, math.log(2.0)]]), v, lse, 0.5).item(),
                               0.9, places=6)
        # a drafter whose argmax is the target's less likely token: p_0.5(0) = 0.1
        self.assertAlmostEqual(soft_targets.strict_acceptance_of_guess(torch.tensor([[1.0, 0.0]]), v, lse, 0.5).item(),
                               0.1, places=6)

    def test_acceptance_and_coverage_stop_at_the_draft_vocabulary(self):
        v, lse = restricted([0], 1.0)
        # the best a drafter over V = {0} can do is p(0) = 1/4
        self.assertAlmostEqual(soft_targets.marginal_acceptance(torch.tensor([[5.0]]), v, lse, 1.0).item(), 0.25, places=6)
        self.assertAlmostEqual(soft_targets.coverage(v, lse, 1.0).item(), 0.25, places=6)


if __name__ == "__main__":
    unittest.main()
