"""Simulated raters with different tastes, and the pairwise judgements they make.

A rater of type ``k`` has utility ``u(x) = w_k . labels(x) + jitter`` over the
renderer's four ground-truth labels (symmetric, transitional, plausible,
polished; 1 = true), with a per-rater Gaussian jitter of the weights, and
chooses between two images with the logistic (Bradley-Terry) rule
``P(a over b) = sigmoid(beta * (u(a) - u(b)))`` -- equivalently, utility plus
Gumbel noise.

Types (shares of the population):

``iconic`` (75 %)
    likes the iconic cues: symmetry, the polished look (contrast, centred,
    clean background) and a clean end state (dislikes transitional); mildly
    indifferent to the size law.
``realist`` (25 %)
    likes the physics: transitional (mid-process), plausible (power-law pieces,
    downrange ejecta), asymmetric; slightly likes a polished photograph too.

Pairs are two renderer images of the same scene with different label vectors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from bench.generators.procedural import LABELS

RATER_TYPES = {
    "iconic": {"share": 0.75, "w": {"symmetric": 1.0, "transitional": -1.0, "plausible": -0.2, "polished": 1.2}},
    "realist": {"share": 0.25, "w": {"symmetric": -1.0, "transitional": 1.0, "plausible": 1.2, "polished": 0.2}},
}
TYPE_NAMES = tuple(RATER_TYPES)


@dataclass
class Population:
    types: np.ndarray
    """int type index per rater."""
    weights: np.ndarray
    """float n_raters x 4 (order of LABELS)."""
    beta: float


def type_weights(name: str) -> np.ndarray:
    return np.array([RATER_TYPES[name]["w"][k] for k in LABELS], np.float64)


def make_population(n_raters: int = 200, *, jitter: float = 0.25, beta: float = 2.0, seed: int = 0) -> Population:
    rng = np.random.default_rng(seed)
    shares = np.array([RATER_TYPES[t]["share"] for t in TYPE_NAMES])
    counts = np.floor(shares * n_raters).astype(int)
    counts[0] += n_raters - counts.sum()
    types = np.concatenate([np.full(c, i) for i, c in enumerate(counts)])
    W = np.stack([type_weights(TYPE_NAMES[t]) for t in types]) + rng.normal(0, jitter, (n_raters, len(LABELS)))
    return Population(types=types, weights=W, beta=float(beta))


def make_pairs(labels: np.ndarray, groups: np.ndarray, pop: Population, n_pairs: int, *, seed: int = 0) -> dict:
    """Judge ``n_pairs`` pairs of items from the same group with different label vectors.

    ``labels`` N x 4 (0/1), ``groups`` N (scene class).  Returns arrays a, b
    (item indices), rater, type, choice (1 = a preferred), p (the rater's
    probability of choosing a).
    """
    rng = np.random.default_rng(seed)
    by_group = {g: np.flatnonzero(groups == g) for g in np.unique(groups)}
    keys = list(by_group)
    A, B = [], []
    while len(A) < n_pairs:
        g = keys[rng.integers(len(keys))]
        idx = by_group[g]
        a, b = rng.choice(idx, 2, replace=False)
        if np.array_equal(labels[a], labels[b]):
            continue
        A.append(a)
        B.append(b)
    A, B = np.array(A), np.array(B)
    rater = rng.integers(0, len(pop.types), len(A))
    du = np.einsum("nk,nk->n", pop.weights[rater], labels[A] - labels[B])
    p = 1.0 / (1.0 + np.exp(-pop.beta * du))
    choice = (rng.random(len(A)) < p).astype(np.float32)
    return {"a": A, "b": B, "rater": rater, "type": pop.types[rater], "choice": choice, "p": p}


def type_preference(labels_a: np.ndarray, labels_b: np.ndarray, type_name: str) -> np.ndarray:
    """+1 where the type's mean taste prefers a, -1 where b, 0 on a tie."""
    return np.sign((labels_a - labels_b) @ type_weights(type_name))


def seed_for(*parts) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:4], "little")
