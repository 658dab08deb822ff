"""``sim`` fracture: brittle fracture of a pane / plate / ice sheet / bottle side.

Model.  A point impact on a brittle sheet drives radial cracks out from the
impact point; the sectors between them then break along concentric cracks.
Concentric cracks start on one radial crack and stop on the next one, so they
meet the radials in T-junctions, staggered from sector to sector (plausible);
the implausible network has closed rings crossing every radial (X-junctions).
While the event runs (``transitional``) the radial tips are still inside the
intact sheet and only the inner concentric cracks exist; the inner cells, the
comminuted zone around the hole, leave along ballistic paths radial from the
impact point (a downrange cone when plausible, isotropic or uprange otherwise).
At the ``end`` the radials reach the sheet's edges (or end on the outer ring)
and the pieces lie on the support where their parabolas ended.

Fragment areas: a truncated power law n(A) ~ A^-tau with tau inside the scene's
range (plausible) or one size +-4 % (implausible); the hole left in the sheet
has the total area of the detached pieces.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from bench.sources import _sim_common as C
from bench.sources._sim_world import F32, blur, fill, smoothstep

MATERIALS = {
    "pane": dict(shape="rect", glass=True, tint=(0.9, 0.96, 0.95), crack="bright", kind="shard", col=(0.55, 0.66, 0.66), op=0.5, edge=0.7, gloss=0.9),
    "glass": dict(shape="disc", glass=True, tint=(0.93, 0.95, 0.96), crack="bright", kind="shard", col=(0.6, 0.64, 0.68), op=0.5, edge=0.7, gloss=0.9),
    "bottle": dict(shape="bottle", glass=True, tint=(0.45, 0.75, 0.45), crack="bright", kind="shard", col=(0.2, 0.45, 0.22), op=0.75, edge=0.6, gloss=0.9),
    "plate": dict(shape="disc", glass=False, tint=(0.93, 0.92, 0.88), crack="dark", kind="chunk", col=(0.93, 0.92, 0.88), op=1.0, edge=0.0, gloss=0.6),
    "ice": dict(shape="big", glass=False, tint=(0.8, 0.88, 0.93), crack="white", kind="chunk", col=(0.82, 0.9, 0.95), op=0.85, edge=0.6, gloss=0.7),
}


def material_for(scene_id, rng):
    s = scene_id.lower()
    for key, mat in (("window", "pane"), ("pane", "pane"), ("bottle", "bottle"), ("plate", "plate"), ("ceramic", "plate"), ("ice", "ice"), ("wine", "glass"), ("glass", "glass")):
        if key in s:
            return mat
    return str(rng.choice(list(MATERIALS)))


def ray_poly(poly, th):
    """Distance from the origin along angle th to the boundary of a polygon containing it."""
    d = np.array([math.cos(th), math.sin(th)])
    p, q = poly, np.roll(poly, -1, 0)
    e = q - p
    den = d[0] * e[:, 1] - d[1] * e[:, 0]
    ok = np.abs(den) > 1e-12
    t = np.where(ok, (p[:, 0] * e[:, 1] - p[:, 1] * e[:, 0]) / np.where(ok, den, 1), np.inf)
    s = np.where(ok, (p[:, 0] * d[1] - p[:, 1] * d[0]) / np.where(ok, den, 1), -1)
    good = ok & (t > 0) & (s >= 0) & (s <= 1)
    return float(t[good].min()) if good.any() else 1e9


def _radial_angles(rng, n, sym):
    """Sorted radial-crack azimuths for the symmetry mode."""
    if sym == "dn":
        ph = 0.0 if rng.random() < 0.5 else math.pi / n
        return np.sort((ph + 2 * math.pi * np.arange(n) / n + math.pi) % (2 * math.pi) - math.pi)
    if sym == "mirror":
        m = n // 2
        g = rng.uniform(0.55, 1.45, m + 1)
        g[0] *= 0.5
        g[-1] *= 0.5
        pos = np.cumsum(g)[:-1] / g.sum() * math.pi
        pos = np.clip(pos, 0.12, math.pi - 0.12)
        return np.sort(np.concatenate([pos, -pos]))
    g = rng.uniform(0.45, 1.55, n)
    ang = rng.uniform(-math.pi, math.pi) + np.cumsum(g) / g.sum() * 2 * math.pi
    return np.sort((ang + math.pi) % (2 * math.pi) - math.pi)


def _twin_index(angles):
    """Index of each radial's mirror twin (angle -> -angle)."""
    return np.array([int(np.argmin(np.abs(angles + a))) for a in angles])


class FracturePlan:
    family = "fracture"

    def __init__(self, view, light, rng, nus, labels, scene, S):
        self.view, self.light, self.nus, self.labels = view, light, nus, labels
        self.mat_name = nus["material"]
        m = self.mat = MATERIALS[self.mat_name]
        self.covers = m["shape"] == "big"
        R = self.R = nus["R_ev"]  # event radius on screen (px, across the impact axis)
        phase = labels["phase"]
        self.phase = phase
        sym_label, plaus = labels["symmetric"], labels["plausible"]
        # ---- the sheet (ground frame; symmetric about the impact axis b = 0 in every case)
        u = nus["sheet"]
        if m["shape"] == "rect":
            A1, A2, B = R * u[0], R * u[1], R * u[2]
            self.sheet = np.array([[-A1, -B], [A2, -B], [A2, B], [-A1, B]], float)
        elif m["shape"] == "disc":
            rs = R * (0.8 + 0.25 * u[0])
            ac = (u[1] - 0.5) * 0.7 * rs
            t = np.linspace(0, 2 * math.pi, 72, endpoint=False)
            self.sheet = np.stack([ac + rs * np.cos(t), rs * np.sin(t)], 1)
            self.disc = (ac, rs)
        elif m["shape"] == "bottle":
            L, W = R * (1.0 + 0.5 * u[0]), R * (0.4 + 0.12 * u[2])
            ac = (u[1] - 0.5) * 0.8 * L
            t = np.linspace(-math.pi / 2, math.pi / 2, 12)
            right = np.stack([ac + L - W * 0.3 + W * 0.3 * np.cos(t), W * np.sin(t)], 1)
            left = np.stack([ac - L + W * 0.3 - W * 0.3 * np.cos(t), -W * np.sin(t)], 1)
            self.sheet = np.concatenate([right, left])
            self.bottle = (ac, L, W)
        else:
            rs = 6.0 * max(view.h, view.w)
            t = np.linspace(0, 2 * math.pi, 72, endpoint=False)
            self.sheet = np.stack([rs * np.cos(t), rs * np.sin(t)], 1)
        # ---- symmetry of the structure
        if sym_label:
            self.sym = "dn" if (not plaus and rng.random() < 0.5) else "mirror"
        else:
            self.sym = "none"
        n_r = int(nus["n_radial"])
        self.n_fold = n_r if self.sym == "dn" else None
        ang = _radial_angles(rng, n_r, self.sym)
        edge = np.array([ray_poly(self.sheet, a) for a in ang])
        frame_r = 1.5 * math.hypot(view.h, view.w)
        edge = np.minimum(edge, frame_r)
        twin = _twin_index(ang) if self.sym != "none" else np.arange(n_r)
        # radial lengths
        if phase == "transitional":
            fr = rng.uniform(0.45, 0.85, n_r)
            if self.sym == "mirror":
                fr = np.maximum(fr, fr[twin])
            if self.sym == "dn":
                lens = np.full(n_r, edge.min() * rng.uniform(0.45, 0.8))
            else:
                lens = fr * edge
                if self.sym == "mirror":
                    lens = np.minimum(lens, lens[twin])
        else:
            lens = edge.copy()
        # concentric levels
        n_lev = int(nus["n_levels"])
        R_ref = float(np.median(edge)) if m["shape"] != "big" else R * 1.0
        lev = np.array([R_ref * ((k + 1) / (n_lev + 0.7)) ** 1.25 for k in range(n_lev)])
        lev *= rng.uniform(0.93, 1.07, n_lev)
        lev = np.sort(lev)
        self.r_hole = math.sqrt(nus["A_tot"] / math.pi)
        lev = lev[lev > 1.6 * self.r_hole]
        if self.sym == "dn" and phase == "end" and len(lev):
            # closed network: the radials end on the outer ring
            outer = min(0.95 * edge.min(), lev[-1] * 1.15)
            lens = np.full(n_r, outer)
            lev = np.append(lev[lev < 0.9 * outer], outer)
        # radial polylines
        M = 28
        self.radials = []
        wig = [None] * n_r
        for j in range(n_r):
            if self.sym == "dn":
                wig[j] = np.zeros(M)
            elif self.sym == "mirror" and twin[j] < j:
                wig[j] = -wig[twin[j]]
            else:
                wig[j] = C.wiggle(rng, M, rng.uniform(0.02, 0.045) * lens[j] + 0.5)
        for j in range(n_r):
            s = np.linspace(0, lens[j], M)
            c, sn = math.cos(ang[j]), math.sin(ang[j])
            w = wig[j] * np.clip(s / max(lens[j], 1e-6) * 3, 0, 1)
            self.radials.append(np.stack([s * c - w * sn, s * sn + w * c], 1))
        self.ang, self.lens = ang, lens
        # concentric cracks
        self.arcs = []
        if plaus:
            self._arcs(rng, lev, twin)
        else:
            self._rings(rng, lev)
        self.tips_running = phase == "transitional"
        # hole (area = total detached area) and the pieces
        self._hole(rng, nus["A_tot"])
        self._pieces(rng, nus, scene)
        self.look = C.PieceLook(edge=m["edge"], bevel=0.9 if not m["glass"] else 0.6, shadow=0.7 if m["glass"] else 1.0)

    # ---------------------------------------------------------------- crack network
    def _point_on(self, j, r):
        rad = self.radials[j]
        s = np.hypot(rad[:, 0], rad[:, 1])
        k = int(np.clip(np.searchsorted(s, r), 1, len(s) - 1))
        t = (r - s[k - 1]) / max(s[k] - s[k - 1], 1e-9)
        return rad[k - 1] + t * (rad[k] - rad[k - 1])

    def _arc(self, P, Q, rng, wig_amp, bow):
        a0, a1 = math.atan2(P[1], P[0]), math.atan2(Q[1], Q[0])
        d = (a1 - a0) % (2 * math.pi)
        r0, r1 = math.hypot(*P), math.hypot(*Q)
        t = np.linspace(0, 1, 10)
        r = (r0 * (1 - t) + r1 * t) * (1 - bow * np.sin(math.pi * t))
        if wig_amp:
            r = r + np.concatenate([[0], C.wiggle(rng, 8, wig_amp), [0]])[: len(t)] * np.sin(math.pi * t)
        ph = a0 + d * t
        pts = np.stack([r * np.cos(ph), r * np.sin(ph)], 1)
        pts[0], pts[-1] = P, Q
        return pts

    def _arcs(self, rng, lev, twin):
        """Concentric cracks from one radial to the next, ending on them (T), staggered."""
        n = len(self.ang)
        for k, rho in enumerate(lev):
            stag = rng.uniform(0.07, 0.16, n) * rng.choice([-1, 1], n)
            jit = rng.uniform(-0.06, 0.06, n)
            if self.sym == "mirror":
                for j in range(n):
                    if twin[j] < j:
                        stag[j] = -stag[twin[j]]
            for j in range(n):
                jn = (j + 1) % n
                if self.sym == "mirror":
                    straddle = twin[j] == jn
                    if not straddle and self.ang[j] < 0 and self.ang[jn] <= 0:
                        continue  # the lower half is the mirror image of the upper half
                rr = rho * (1 + (0 if self.sym == "mirror" else jit[j]))
                r1 = rr * (1 + stag[j])  # starts on radial j
                r2 = rr * (1 - stag[jn])  # ends on radial j+1 (the other side's arc ends at rr*(1+stag))
                if self.sym == "mirror" and twin[j] == jn:
                    r2 = r1
                if r1 > 0.9 * self.lens[j] or r2 > 0.9 * self.lens[jn]:
                    continue
                P, Q = self._point_on(j, r1), self._point_on(jn, r2)
                symmetric_arc = self.sym == "mirror" and twin[j] == jn
                arc = self._arc(P, Q, rng, 0 if symmetric_arc else rho * 0.02, 0.05)
                self.arcs.append(arc)
                if self.sym == "mirror" and not symmetric_arc:
                    self.arcs.append(C.mirror_pts(arc)[::-1].copy())

    def _rings(self, rng, lev):
        """Closed rings crossing every radial (X-junctions)."""
        t = np.linspace(0, 2 * math.pi, 97)
        for rho in lev:
            if rho > 0.97 * self.lens.min():
                continue
            if self.sym == "none":
                k = rng.integers(2, 5)
                r = rho * (1 + 0.05 * np.sin(k * t + rng.uniform(0, 6)) + 0.03 * np.sin((k + 2) * t + rng.uniform(0, 6)))
            elif self.sym == "mirror":
                r = rho * (1 + 0.04 * np.cos(2 * t) * rng.uniform(-1, 1))
            else:
                r = np.full_like(t, rho)
            self.arcs.append(np.stack([r * np.cos(t), r * np.sin(t)], 1))

    def _hole(self, rng, area):
        angs = np.sort(np.concatenate([self.ang, self.ang + np.diff(np.append(self.ang, self.ang[0] + 2 * math.pi)) / 2]))
        angs = (angs + math.pi) % (2 * math.pi) - math.pi
        order = np.argsort(angs)
        angs = angs[order]
        if self.sym == "none":
            jit = rng.uniform(-0.3, 0.3, len(angs))
        elif self.sym == "mirror":
            base = rng.uniform(-0.3, 0.3, len(angs))
            jit = np.array([base[int(np.argmin(np.abs(np.abs(angs) - abs(a))))] for a in angs])
        else:
            jit = np.array([0.18 if np.isclose(np.min(np.abs(((a - self.ang) + math.pi) % (2 * math.pi) - math.pi)), 0, atol=1e-6) else -0.12 for a in angs])
        r = 1 + jit
        pts = np.stack([r * np.cos(angs), r * np.sin(angs)], 1)
        self.hole = pts * math.sqrt(area / C.poly_area(pts))

    # ---------------------------------------------------------------- pieces
    def _pieces(self, rng, nus, scene):
        m, labels, view = self.mat, self.labels, self.view
        plaus = labels["plausible"]
        N = int(nus["n_pieces"])
        mb = C.base_count(N, self.sym, self.n_fold or 1)
        n_rep = {"none": 1, "mirror": 2, "dn": 2 * (self.n_fold or 1)}[self.sym]
        tau_rng = scene.physics.fragment_size_exponent or (1.3, 2.0)
        areas, self.tau, self.ratio = C.fragment_areas(rng, mb, plaus, tau_rng, nus["A_tot"] / n_rep)
        if plaus:
            direction = "down"
        else:
            direction = "iso" if (self.sym == "dn" or rng.random() < 0.5) else "up"
        self.direction = direction
        cone = C.ground_cone(view.f, nus["cone"])
        psi = C.base_angles(rng, mb, self.sym, self.n_fold or 1, direction, cone)
        mean_a = float(areas.mean())
        base = []
        dtau = nus["dtau"]
        for i in range(mb):
            A = float(areas[i])
            poly = C.shard(rng, A, m["kind"])
            r0 = self.r_hole * math.sqrt(rng.uniform(0.1, 1.0))
            D = r0 + self.R * rng.uniform(0.35, 1.15) * (A / mean_a) ** -0.08
            col = np.asarray(m["col"]) * rng.uniform(0.85, 1.12)
            tilt = rng.normal(0, 0.45, 2)
            c, s = math.cos(psi[i]), math.sin(psi[i])
            if self.phase == "transitional":
                tau = rng.uniform(0.25, 0.95)
                beta = math.radians(rng.uniform(15, 45))
                Hh = (D - r0) * math.tan(beta) / 4
                d = r0 + (D - r0) * tau
                z = 4 * Hh * tau * (1 - tau)
                p = C.Piece(poly, A, d * c, d * s, z, (D - r0) * dtau * c, (D - r0) * dtau * s, 4 * Hh * (1 - 2 * tau) * dtau, col, m["op"], tilt, m["gloss"], rest=False)
            else:
                d = D * rng.uniform(1.0, 1.12)
                p = C.Piece(C.rot_pts(poly, rng.uniform(0, 6.3)), A, d * c, d * s, 0, col=col, op=m["op"], tilt=tilt * 0.4, gloss=m["gloss"], rest=True)
            base.append(p)
        self.pieces = C.replicate(base, self.sym, self.n_fold or 1, lambda p: p.mirrored(), lambda p, th: p.rotated(th))

    # ---------------------------------------------------------------- painting
    def paint_object(self, img, support, rng):
        view, light, m = self.view, self.light, self.mat
        h, w = img.shape[:2]
        lay = np.zeros((h, w), np.uint8)
        fill(lay, view.proj_pts(self.sheet), 255)
        a = lay.astype(F32) / 255
        self.sheet_mask = a
        A, B = view.A, view.B
        if m["shape"] == "big":  # pond ice: clear black ice over dark water, white frosted / snowy patches
            nz = self.nus["noise_obj"]
            water = np.array([0.05, 0.08, 0.1], F32) * F32(rng.uniform(0.8, 1.5))
            sky = (0.18 + 0.1 * nz.fbm(B, A, self.R * 3.0, 2, k0=2))[..., None] * np.array([0.85, 0.92, 1.0], F32)
            cover = rng.uniform(0.2, 1.2)
            fro = nz.fbm(B * 0.5, A, self.R * rng.uniform(1.0, 2.0), 4, 0.6, k0=1)
            frost = smoothstep(cover - 0.8, cover + 1.2, fro) * 0.7
            white = np.asarray(m["tint"], F32) * F32(rng.uniform(0.85, 1.0))
            fine = nz.at(2, B, A, 1.3)
            alb = water + sky + (white - water - sky) * (0.85 * frost * (0.9 + 0.1 * fine))[..., None]
            # trapped bubbles: small bright dots in clusters; skate / scratch marks: long straight thin lines
            clus = smoothstep(0.3, 1.0, nz.fbm(B, A, self.R * 0.6, 2, k0=5))
            bub = np.clip(nz.at(3, B, A, 0.9) - 1.2, 0, 1) * clus
            alb = alb + (0.6 * bub)[..., None]
            for _ in range(int(rng.integers(1, 5))):
                th = rng.uniform(0, math.pi)
                s_ = B * math.cos(th) + A * math.sin(th) - rng.uniform(-1.5, 1.5) * self.R
                alb = alb + (0.08 * np.exp(-((s_ / 0.7) ** 2)) * (1 - frost))[..., None]
            sh, _, _ = light.shade(np.zeros_like(A), np.zeros_like(A))
            sg = nz.at(4, B, A, 2.0) * 0.04
            spec = light.spec(sg, nz.at(5, B, A, 2.0) * 0.04, 80, view.c) * 0.35 * (1 - frost)
            out = alb * (0.6 + 0.4 * sh[..., None]) + spec[..., None]
        elif m["glass"] and m["shape"] != "bottle":
            tint = np.asarray(m["tint"], F32)
            out = support * tint * F32(0.92)
            # reflections on the glass: soft and hard-edged bands (window reflections)
            for _ in range(int(rng.integers(1, 3))):
                th = rng.uniform(0, math.pi)
                s = (view.xs * math.cos(th) + view.ys * math.sin(th)) / self.R - rng.uniform(-1.2, 1.2)
                wd = rng.uniform(0.25, 0.8)
                band = smoothstep(-wd - 0.15, -wd, s) * smoothstep(wd + 0.15, wd, s) if rng.random() < 0.5 else np.exp(-(s / wd) ** 2)
                out = out + (F32(rng.uniform(0.05, 0.16)) * band)[..., None]
        elif m["shape"] == "bottle":
            ac, L, W = self.bottle
            t = np.clip(B / W, -1, 1)
            body = np.sqrt(np.clip(1 - t * t, 0, 1))
            tint = np.asarray(m["tint"], F32) * F32(rng.uniform(0.8, 1.1))
            ls = math.sin(light.az)
            hl = np.exp(-(((t - 0.45 * ls) / 0.1) ** 2)) * 0.6 + np.exp(-(((t + 0.6 * ls) / 0.06) ** 2)) * 0.25
            out = support * tint * (0.25 + 0.45 * body)[..., None] + hl[..., None] * F32(0.9)
            if rng.random() < 0.6:  # paper label round the bottle
                l0 = ac + rng.uniform(-0.5, 0.1) * L
                l1 = l0 + rng.uniform(0.25, 0.5) * L
                lab = smoothstep(l0, l0 + 0.8, A) * smoothstep(l1, l1 - 0.8, A)
                lc = np.array([(0.92, 0.9, 0.82), (0.75, 0.15, 0.12), (0.15, 0.15, 0.15), (0.85, 0.75, 0.3)][rng.integers(4)], F32)
                out = out * (1 - lab[..., None]) + (lc * (0.4 + 0.6 * body)[..., None] + 0.3 * hl[..., None]) * lab[..., None]
            # contact shadow along its length
            sa, sb = light.shadow_offset(W)
            sh_lay = np.zeros((h, w), np.uint8)
            fill(sh_lay, view.proj_pts(self.sheet + np.array([sa, sb]) * 0.6), 255)
            shd = blur(sh_lay.astype(F32) / 255, 2.0 + 0.1 * W)
            support = support * (1 - 0.6 * light.shadow * shd)[..., None]
        else:  # ceramic plate: lit relief of well and rim, glaze highlight, decoration ring
            ac, rs = self.disc
            da = A - F32(ac)
            r = np.sqrt(da * da + B * B) + F32(1e-3)
            x = r / F32(rs)
            slope = (0.07 * smoothstep(0.55, 0.8, x + 0.01) - 0.07 * smoothstep(0.55, 0.8, x - 0.01)) / 0.02 - (0.03 * smoothstep(0.9, 1.0, x + 0.01) - 0.03 * smoothstep(0.9, 1.0, x - 0.01)) / 0.02
            ga, gb = slope * da / r, slope * B / r
            sh, _, _ = light.shade(ga, gb)
            col = np.asarray(m["tint"], F32) * F32(rng.uniform(0.92, 1.04))
            if rng.random() < 0.35:
                col = np.array([(0.85, 0.8, 0.65), (0.35, 0.45, 0.6), (0.6, 0.3, 0.25), (0.25, 0.28, 0.3)][rng.integers(4)], F32)
            alb = np.broadcast_to(col, img.shape).copy()
            if rng.random() < 0.5:
                rr = rng.uniform(0.82, 0.92)
                ring = np.exp(-(((x - rr) / 0.012) ** 2))
                rc = np.array([(0.2, 0.3, 0.6), (0.7, 0.6, 0.2), (0.5, 0.1, 0.1)][rng.integers(3)], F32)
                alb = alb * (1 - ring[..., None]) + rc * ring[..., None]
            spec = light.spec(ga, gb, 80, view.c) * 0.8 + light.spec(ga, gb, 8, view.c) * 0.12
            out = alb * sh[..., None] + spec[..., None]
            # the plate's contact shadow / ambient occlusion on the support
            sa, sb = light.shadow_offset(0.08 * rs)
            sh_lay = np.zeros((h, w), np.uint8)
            fill(sh_lay, view.proj_pts(self.sheet * 1.02 + np.array([sa, sb])), 255)
            shd = blur(sh_lay.astype(F32) / 255, 1.5 + 0.04 * rs)
            support = support * (1 - 0.5 * light.shadow * shd)[..., None]
        if m["shape"] != "big":
            # polished edge of the sheet: thin light line with a dark side
            g = cv2.morphologyEx(lay, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(F32) / 255
            out = out + F32(0.18 if m["glass"] else 0.05) * g[..., None]
        img[:] = support * (1 - a[..., None]) + out * a[..., None]
        self.support = support
        if self.mat_name == "pane" and rng.random() < 0.6:  # a frame round the pane
            fr = 1 + rng.uniform(0.06, 0.14)
            fl = np.zeros((h, w), np.uint8)
            fill(fl, view.proj_pts(self.sheet * fr), 255)
            band = np.clip(fl.astype(F32) / 255 - a, 0, 1)
            fc = np.array([(0.92, 0.91, 0.88), (0.55, 0.38, 0.22), (0.7, 0.71, 0.73), (0.15, 0.15, 0.15)][rng.integers(4)], F32)
            img[:] = img * (1 - band[..., None]) + (fc * F32(0.55 + 0.45 * light.L[2]))[None, None] * band[..., None]
            a = np.maximum(a, band)
        return a

    def paint_structure(self, img, rng):
        view, m = self.view, self.mat
        h, w = img.shape[:2]
        # hole
        lay = np.zeros((h, w), np.uint8)
        fill(lay, view.proj_pts(self.hole), 255)
        hole = lay.astype(F32) / 255
        if self.mat_name == "ice":
            inside = np.array([0.04, 0.07, 0.09], F32) + 0.05 * blur(hole, 3)[..., None]
        elif self.mat_name == "bottle":
            inside = np.array([0.03, 0.06, 0.03], F32)
        else:
            inside = self.support * F32(0.85)
        img[:] = img * (1 - hole[..., None]) + inside * hole[..., None]
        # crushed zone round the hole (white, granular)
        lay2 = np.zeros((h, w), np.uint8)
        fill(lay2, view.proj_pts(self.hole * 1.45), 255)
        crush = np.clip(blur(lay2.astype(F32) / 255, 1.0) - hole, 0, 1)
        grain = 0.5 + 0.5 * np.clip(self.nus["noise_obj"].at(2, view.B, view.A, 0.8), -1, 1)
        crush = crush * grain
        img[:] = img * (1 - 0.5 * crush[..., None]) + F32(0.5 * 0.92) * crush[..., None]
        # cracks
        lines = self.radials + self.arcs
        fade = [self.tips_running] * len(self.radials) + [False] * len(self.arcs)
        ca = C.draw_lines((h, w), view, lines, 1, fade)
        ca = np.clip(ca - hole, 0, 1)
        if m["crack"] == "bright":
            halo = blur(ca, 1.3)
            img[:] = img * (1 - 0.35 * halo[..., None]) + F32(0.95) * ca[..., None] * 0.75
        elif m["crack"] == "dark":
            img[:] = img * (1 - 0.72 * ca[..., None])
        else:
            halo = blur(ca, 1.5)
            img[:] = img * (1 - 0.6 * ca[..., None]) + F32(0.95) * (0.6 * ca + 0.25 * halo)[..., None]
        self.crack_alpha = ca
        return np.maximum(np.maximum(hole, ca), (crush > 0.05).astype(F32) * 0.5)

    def impactor(self, rng):
        """The ball / stone: approaching in 'pre'; at the hole afterwards (when shown)."""
        R = self.R
        r = R * rng.uniform(0.07, 0.13)
        kind = {"pane": "ball", "glass": "steel", "bottle": "bullet", "plate": None, "ice": "stone"}.get(self.mat_name)
        return r, kind

    def truth(self):
        return {
            "material": self.mat_name,
            "n_radial": len(self.radials),
            "n_concentric": len(self.arcs),
            "junctions": "T" if self.labels["plausible"] else "X",
            "tips_running": self.tips_running,
            "hole_area_px2": float(C.poly_area(self.hole) * self.view.f),
        }


Plan = FracturePlan


def nuisance(rng, scene, n):
    """Label-free draws of the fracture family."""
    return {
        "material": material_for(scene.id, rng),
        "sheet": [float(x) for x in rng.uniform([0.8, 0.8, 0.8], [1.4, 1.4, 1.3])],
        "n_radial": int(rng.choice([6, 8, 10])),
        "n_levels": int(rng.integers(2, 5)),
    }

