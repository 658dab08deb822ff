"""Crack patterns on 3-D surfaces for the ``studio`` source.

A pattern is generated in 2-D surface coordinates (s, t) around its origin, where
the s axis lies in the mirror plane of the symmetric label (t -> -t is the mirror),
then mapped onto the surface (plane, cylinder, sphere / ellipsoid) in 3-D.

- radial cracks from a hole (or a contact point on the rim);
- plausible: circumferential arcs that start on one radial crack and stop on the
  next (T-junctions), at staggered radii (Bohn et al. 2005);
- implausible: closed concentric rings crossing every radial crack (X-junctions);
- symmetric: only the t >= 0 half is generated here, its twin is added by mirroring;
  symmetric + implausible gives the perfect star (equal arms at equal angles);
- transitional: radial tips stop inside the material; end: they run to the edge.
"""

from __future__ import annotations

import math

import numpy as np

from bench.sources._studio_core import unit


class PlaneSurf:
    def __init__(self, O, es, et, inside, extent=2.5):
        self.O, self.es, self.et = np.asarray(O, float), unit(es), unit(et)
        self.inside = inside  # f(s, t) -> bool array
        self.extent = extent
        self.n = unit(np.cross(self.es, self.et))

    def pt(self, s, t):
        s = np.asarray(s, float)
        t = np.asarray(t, float)
        return self.O + s[..., None] * self.es + t[..., None] * self.et

    def normal(self, s, t):
        return np.broadcast_to(self.n, np.shape(s) + (3,))


class CylSurf:
    """Vertical cylinder of radius R about the axis through ``axis_pt``; the origin is
    at azimuth ``phi0`` (angle in the x-z plane) and height axis_pt.y."""

    def __init__(self, axis_pt, R, phi0, t_lo, t_hi, s_max):
        self.A, self.R, self.phi0 = np.asarray(axis_pt, float), float(R), float(phi0)
        self.t_lo, self.t_hi, self.s_max = t_lo, t_hi, s_max
        self.extent = max(abs(t_lo), abs(t_hi), s_max)

    def inside(self, s, t):
        return (t > self.t_lo) & (t < self.t_hi) & (np.abs(s) < self.s_max)

    def pt(self, s, t):
        s = np.asarray(s, float)
        t = np.asarray(t, float)
        ph = self.phi0 + s / self.R
        return self.A + np.stack([self.R * np.cos(ph), t, self.R * np.sin(ph)], -1)

    def normal(self, s, t):
        ph = self.phi0 + np.asarray(s, float) / self.R
        return np.stack([np.cos(ph), np.zeros_like(ph), np.sin(ph)], -1)


class ShellSurf:
    """Ellipsoid shell: centre Q, 3x3 ``A`` (columns = semi-axes); the origin is where the
    unit direction ``p`` (in the unit-sphere frame) meets it; k1 lies in the mirror
    plane, k2 across it (both tangent at p, unit-sphere frame)."""

    def __init__(self, Q, A, p, k1, k2, rho_max, inside=None):
        self.Q, self.A = np.asarray(Q, float), np.asarray(A, float)
        self.p, self.k1, self.k2 = unit(p), unit(k1), unit(k2)
        self.Rm = float(np.mean(np.linalg.norm(self.A, axis=0)))
        self.rho_max = rho_max
        self.extent = rho_max * self.Rm
        self._inside = inside

    def _d(self, s, t):
        s = np.asarray(s, float) / self.Rm
        t = np.asarray(t, float) / self.Rm
        rho = np.hypot(s, t)
        al = np.arctan2(t, s)
        return (np.cos(rho)[..., None] * self.p + np.sin(rho)[..., None] *
                (np.cos(al)[..., None] * self.k1 + np.sin(al)[..., None] * self.k2))

    def inside(self, s, t):
        ok = np.hypot(s, t) / self.Rm < self.rho_max
        if self._inside is not None:
            ok = ok & self._inside(self.pt(s, t))
        return ok

    def pt(self, s, t):
        return self.Q + self._d(s, t) @ self.A.T

    def normal(self, s, t):
        d = self._d(s, t)
        return unit(d @ np.linalg.inv(self.A))


def ray_max(surf, alpha, step=0.01):
    """Distance from the origin to the surface's edge along angle alpha."""
    r = np.arange(step, surf.extent + step, step)
    s, t = r * math.cos(alpha), r * math.sin(alpha)
    ok = surf.inside(s, t)
    if ok.all():
        return float(r[-1])
    k = int(np.argmin(ok))
    return float(r[max(k - 1, 0)])


def _walk(ev, surf, s0, t0, heading, length, wobble_deg, step):
    pts = [(s0, t0)]
    s, t, hd = s0, t0, heading
    n = max(2, int(length / step))
    for _ in range(n):
        hd += math.radians(ev.normal(0, wobble_deg)) if wobble_deg > 0 else 0.0
        s2, t2 = s + step * math.cos(hd), t + step * math.sin(hd)
        if not bool(surf.inside(np.array(s2), np.array(t2))):
            break
        s, t = s2, t2
        pts.append((s, t))
    return np.asarray(pts)


def crack_pattern(ev, surf, *, sym, plausible, phase, allowed=(-math.pi, math.pi), hole_r=0.0,
                  arms=(4, 8), scale=1.0):
    """Crack polylines in (s, t) coordinates plus the junction kind.

    Returns (polylines, info): polylines is a list of (k, 2) arrays; when ``sym`` only
    the t >= 0 half is returned (mirror it for the twin)."""
    lo, hi = allowed
    full = (hi - lo) > 1.9 * math.pi
    k_total = int(ev.integers(arms[0], arms[1] + 1))
    step = 0.012 * scale
    if sym:
        k_half = max(2, k_total // 2)
        top = hi if not full else math.pi
        if not plausible:
            ang = np.array([(j + 0.5) * top / k_half for j in range(k_half)])
        else:
            ang = np.sort(ev.uniform(0.18, top - 0.12, k_half))
            for _ in range(20):
                if len(ang) < 2 or np.min(np.diff(ang)) > math.radians(14):
                    break
                ang = np.sort(ev.uniform(0.18, top - 0.12, k_half))
    else:
        span = hi - lo
        ang = np.sort(lo + ev.uniform(0.04, 0.96, k_total) * span) if not full else np.sort(ev.uniform(0, 2 * math.pi, k_total))
        for _ in range(20):
            d = np.diff(np.concatenate([ang, ang[:1] + (2 * math.pi if full else 10)]))
            if np.min(d) > math.radians(13):
                break
            ang = np.sort(lo + ev.uniform(0.04, 0.96, k_total) * span) if not full else np.sort(ev.uniform(0, 2 * math.pi, k_total))
    regular = sym and not plausible
    wob = 0.0 if regular else 7.0
    frac_equal = float(ev.uniform(0.45, 0.8))
    lines = []
    arm_pts = []
    lengths = []
    for a in ang:
        lmax = ray_max(surf, a)
        if phase == "end":
            L = lmax
        else:
            L = lmax * (frac_equal if regular else float(ev.uniform(0.35, 0.85)))
        s0, t0 = hole_r * math.cos(a), hole_r * math.sin(a)
        pts = _walk(ev, surf, s0, t0, a, max(L - hole_r, 2 * step), wob, step)
        if sym:
            pts[:, 1] = np.maximum(pts[:, 1], 0.0) if not regular else pts[:, 1]
        lines.append(pts)
        arm_pts.append(pts)
        lengths.append(float(np.hypot(*pts[-1])))
        if plausible and len(pts) > 8 and ev.random() < 0.45:
            k = int(len(pts) * ev.uniform(0.35, 0.7))
            hd = a + math.radians(ev.choice([-1, 1]) * ev.uniform(18, 38))
            rem = (len(pts) - k) * step * ev.uniform(0.4, 0.9)
            if phase == "end":
                rem = surf.extent
            br = _walk(ev, surf, pts[k, 0], pts[k, 1], hd, rem, wob, step)
            if sym:
                br = br[br[:, 1] >= 0] if len(br) else br
            if len(br) >= 2:
                lines.append(br)
    junction = "T" if plausible else "X"
    lengths = np.asarray(lengths)
    if plausible:
        # arcs between neighbouring radials, staggered, ending on them (T-junctions)
        order = np.argsort(ang)
        pairs = [(order[i], order[i + 1]) for i in range(len(order) - 1)]
        if full and not sym:
            pairs.append((order[-1], order[0]))
        for ia, ib in pairs:
            if ev.random() > 0.75:
                continue
            pa, pb = arm_pts[ia], arm_pts[ib]
            if len(pa) < 4 or len(pb) < 4:
                continue
            ra = float(ev.uniform(0.25, 0.7)) * len(pa)
            rb = ra * float(ev.uniform(0.75, 1.3))
            ka, kb = min(int(ra), len(pa) - 1), min(int(rb), len(pb) - 1)
            A, B = pa[ka], pb[kb]
            mid = 0.5 * (A + B)
            out = mid / max(np.hypot(*mid), 1e-6) * (np.hypot(*A) + np.hypot(*B)) * 0.5 * 0.09
            u = np.linspace(0, 1, 14)
            arc = (1 - u)[:, None] * A + u[:, None] * B + (4 * u * (1 - u))[:, None] * out
            arc += ev.normal(0, 0.003 * scale, arc.shape) * (4 * u * (1 - u))[:, None]
            if phase != "end" and ev.random() < 0.4:
                arc = arc[: int(len(arc) * ev.uniform(0.5, 0.85))]
            ok = surf.inside(arc[:, 0], arc[:, 1])
            arc = arc[ok]
            if sym:
                arc = arc[arc[:, 1] >= 0]
            if len(arc) >= 2:
                lines.append(arc)
    else:
        # closed rings crossing every radial (X-junctions)
        m = int(ev.integers(2, 4))
        lmin = float(np.min(lengths)) if len(lengths) else 0.2
        for k in range(m):
            rr = (k + 1) / (m + 1.0) * lmin * 0.95 + hole_r * 0.5
            th = np.linspace(0 if sym else -math.pi, math.pi, 61 if sym else 121)
            if sym:
                r = np.full_like(th, rr)
                c = (0.0, 0.0)
            else:
                r = rr * (1 + 0.06 * np.sin(3 * th + ev.uniform(0, 6)) + 0.04 * np.sin(5 * th + ev.uniform(0, 6)))
                c = tuple(ev.normal(0, 0.04 * rr, 2))
            pts = np.stack([c[0] + r * np.cos(th), c[1] + r * np.sin(th)], -1)
            ok = surf.inside(pts[:, 0], pts[:, 1])
            # split into runs inside the surface
            run = []
            for p, o in zip(pts, ok):
                if o:
                    run.append(p)
                elif len(run) >= 2:
                    lines.append(np.asarray(run))
                    run = []
                else:
                    run = []
            if len(run) >= 2:
                lines.append(np.asarray(run))
    info = {"n_radial": int(len(ang) * (2 if sym else 1)), "junctions": junction,
            "regular_star": bool(regular)}
    return lines, info


def hole_polygon(ev, r, sym, n=14, jag=0.35):
    """A jagged hole around the origin; with ``sym`` the t >= 0 half only (0..pi)."""
    if sym:
        th = np.linspace(0, math.pi, n // 2 + 1)
    else:
        th = np.sort(ev.uniform(0, 2 * math.pi, n))
    rr = r * (1 + ev.uniform(-jag, jag, len(th)))
    pts = np.stack([rr * np.cos(th), rr * np.sin(th)], -1)
    if sym:
        pts[0, 1] = 0.0
        pts[-1, 1] = 0.0
    return pts


def to_3d(surf, lines, cam=None, cull=False):
    """Map (s, t) polylines to 3-D; with ``cull`` drop the parts facing away from the camera."""
    out = []
    for pl in lines:
        P = surf.pt(pl[:, 0], pl[:, 1])
        if cull and cam is not None:
            N = surf.normal(pl[:, 0], pl[:, 1])
            vis = np.sum(N * (cam.C - P), axis=-1) > 0
            run = []
            for p, v in zip(P, vis):
                if v:
                    run.append(p)
                else:
                    if len(run) >= 2:
                        out.append(np.asarray(run))
                    run = []
            if len(run) >= 2:
                out.append(np.asarray(run))
        else:
            out.append(P)
    return out
