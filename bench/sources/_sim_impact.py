"""``sim`` impact: a projectile into a granular bed, or a solid body breaking.

Model.  The impact opens a crater (granular bed: a paraboloid bowl with a raised
rim; solid body: a crushed / burst zone with cracks running out of it).  Ejecta
leave in a conical curtain at ~45 degrees (Maxwell's Z-model flavour): material
launched at radius r leaves later and slower than material launched near the
centre, v ~ (r / R_c)^-Z, so its ballistic range falls steeply with r; each grain
then follows a parabola (gravity) and lands.  ``transitional`` is an instant
during the excavation (most grains airborne, the nearest already down); ``end``
has every grain on the ground (the ejecta deposit) round the finished crater.
Sizes: truncated power law (plausible) or one size (implausible); directions: a
downrange cone (plausible), isotropic or uprange (implausible).
"""

from __future__ import annotations

import math

import numpy as np

from bench.sources import _sim_common as C
from bench.sources._sim_world import F32, blur, fill, smoothstep

MATERIALS = {
    "sand": dict(kind="granular", col=(0.78, 0.64, 0.44), piece="grain", pcol=(0.72, 0.58, 0.4), gloss=0.05),
    "egg": dict(kind="egg", col=(0.92, 0.84, 0.7), piece="shard", pcol=(0.95, 0.9, 0.8), gloss=0.3),
    "pumpkin": dict(kind="pumpkin", col=(0.92, 0.48, 0.1), piece="chunk", pcol=(0.93, 0.55, 0.15), gloss=0.35),
    "ice_block": dict(kind="block", col=(0.75, 0.86, 0.93), piece="chunk", pcol=(0.85, 0.92, 0.97), gloss=0.8),
    "concrete": dict(kind="block", col=(0.62, 0.61, 0.58), piece="chunk", pcol=(0.58, 0.57, 0.55), gloss=0.05),
}


def material_for(scene_id, rng):
    s = scene_id.lower()
    for key, mat in (("sand", "sand"), ("meteor", "sand"), ("egg", "egg"), ("pumpkin", "pumpkin"), ("ice", "ice_block"), ("wall", "concrete"), ("crash", "concrete")):
        if key in s:
            return mat
    return str(rng.choice(list(MATERIALS)))


def _rim_eps(rng, sym, n_fold):
    """Crater-outline modulation eps(phi): none (random phases), mirror (cosines), dn (n lobes)."""
    if sym == "none":
        ks = [1, 2, 3, 5]
        return [(k, rng.uniform(0.03, 0.09), rng.uniform(0, 2 * math.pi)) for k in ks]
    if sym == "mirror":
        return [(k, rng.uniform(0.02, 0.07) * rng.choice([-1, 1]), 0.0) for k in (2, 3)]
    return [(n_fold, rng.uniform(0.03, 0.06), 0.0)]


def _eps(terms, phi):
    out = 0.0
    for k, amp, ph in terms:
        out = out + amp * np.cos(k * phi - ph)
    return out


class ImpactPlan:
    family = "impact"

    def __init__(self, view, light, rng, nus, labels, scene, S):
        self.view, self.light, self.nus, self.labels = view, light, nus, labels
        self.mat_name = nus["material"]
        m = self.mat = MATERIALS[self.mat_name]
        R = self.R = nus["R_ev"]
        self.phase = labels["phase"]
        sym_label, plaus = labels["symmetric"], labels["plausible"]
        u = nus["body"]
        if m["kind"] == "granular":
            self.Rc = R * (0.22 + 0.1 * u[0])
            self.body = None
        else:
            Rb = R * (0.36 + 0.18 * u[0])
            ac = (u[1] - 0.5) * 0.5 * Rb
            self.body = (ac, Rb * (1.3 if m["kind"] == "egg" else 1.0), Rb)
            self.Rc = Rb * (0.42 + 0.12 * u[2])
        if self.phase == "pre":
            self.sym, self.n_fold, self.pieces, self.tau, self.ratio, self.direction = "none", None, [], None, None, None
            self.look = C.PieceLook()
            return
        if sym_label:
            self.sym = "dn" if (not plaus and rng.random() < 0.5) else "mirror"
        else:
            self.sym = "none"
        self.n_fold = int(nus["n_cracks"]) if self.sym == "dn" else None
        self.eps = _rim_eps(rng, self.sym, self.n_fold or 1)
        # cracks over solid bodies
        self.cracks = []
        if m["kind"] != "granular":
            self._cracks(rng, nus)
        self._ejecta(rng, nus, scene)
        self.look = C.PieceLook(edge=0.5 if self.mat_name == "ice_block" else 0.0, bevel=0.9)

    # ---------------------------------------------------------------- cracks on bodies
    def _cracks(self, rng, nus):
        n = int(nus["n_cracks"])
        if self.sym == "dn":
            n = self.n_fold
            ph = 0.0 if rng.random() < 0.5 else math.pi / n
            ang = ph + 2 * math.pi * np.arange(n) / n
        elif self.sym == "mirror":
            m = n // 2
            pos = np.sort(rng.uniform(0.25, math.pi - 0.25, m))
            ang = np.concatenate([pos, -pos])
        else:
            g = rng.uniform(0.5, 1.5, n)
            ang = rng.uniform(0, 2 * math.pi) + np.cumsum(g) / g.sum() * 2 * math.pi
        ac, ra, rb = self.body
        out = []
        M = 20
        for j, th in enumerate(ang):
            c, s = math.cos(th), math.sin(th)
            # distance to the body outline along the ray (ellipse centred at (ac, 0))
            A_ = (c / ra) ** 2 + (s / rb) ** 2
            B_ = -2 * ac * c / ra**2
            C_ = (ac / ra) ** 2 - 1
            edge = (-B_ + math.sqrt(max(B_ * B_ - 4 * A_ * C_, 0))) / (2 * A_)
            r0 = self.Rc * 0.9
            if self.phase == "transitional":
                frac = 0.55 if self.sym != "none" else rng.uniform(0.35, 0.8)
            else:
                frac = 0.97
            L = r0 + max(0.0, edge - r0) * frac
            sd = np.linspace(r0, L, M)
            amp = 0.0 if self.sym == "dn" else rng.uniform(0.03, 0.07) * (L - r0)
            out.append((sd, amp, c, s))
        # mirrored wiggles for the mirror case
        wigs = []
        for j, (sd, amp, c, s) in enumerate(out):
            if self.sym == "mirror" and j >= len(out) // 2:
                wigs.append(-wigs[j - len(out) // 2])
            else:
                wigs.append(C.wiggle(rng, len(sd), amp) if amp else np.zeros(len(sd)))
        for (sd, amp, c, s), wg in zip(out, wigs):
            self.cracks.append(np.stack([sd * c - wg * s, sd * s + wg * c], 1))
        self.tips_running = self.phase == "transitional"

    # ---------------------------------------------------------------- ejecta (Z-model curtain)
    def _ejecta(self, rng, nus, scene):
        m, view = self.mat, self.view
        plaus = self.labels["plausible"]
        N = int(nus["n_pieces"])
        mb = C.base_count(N, self.sym, self.n_fold or 1)
        n_rep = {"none": 1, "mirror": 2, "dn": 2 * (self.n_fold or 1)}[self.sym]
        tau_rng = scene.physics.fragment_size_exponent or (1.3, 2.0)
        areas, self.tau, self.ratio = C.fragment_areas(rng, mb, plaus, tau_rng, nus["A_tot"] / n_rep, (30, 80))
        direction = "down" if plaus else ("iso" if (self.sym == "dn" or rng.random() < 0.5) else "up")
        self.direction = direction
        cone = C.ground_cone(view.f, nus["cone"])
        psi = C.base_angles(rng, mb, self.sym, self.n_fold or 1, direction, cone)
        Rc, R = self.Rc, self.R
        Z = 2.7
        tstar = nus["t_star"]
        base = []
        dtau = nus["dtau"]
        shade = nus["ejecta_shade"]
        pcol = np.asarray(m["pcol"]) * shade
        if m["kind"] == "granular":  # excavated (moister, darker) bed material: the support's own colour, darker
            pcol = np.asarray(nus["support_colour"]) * shade * 0.75
        for i in range(mb):
            A = float(areas[i])
            poly = C.shard(rng, A, m["piece"])
            x = math.sqrt(rng.uniform(0.12, 1.0))  # launch radius / Rc
            dD = min(Rc * 0.45 * x ** (-Z * 0.7), R * 1.05 - x * Rc)
            dD = max(dD, 0.35 * Rc) * rng.uniform(0.85, 1.15)
            if self.body is not None:  # debris of a body lands on the ground round it
                edge = self.body[1] + abs(self.body[0]) - x * Rc
                dD = max(dD, edge * rng.uniform(1.05, 1.3))
            t_l = 0.45 * x**2.5
            T_f = 0.9 * math.sqrt(dD / Rc)
            tau = (tstar - t_l) / T_f
            c, s = math.cos(psi[i]), math.sin(psi[i])
            col = pcol * rng.uniform(0.85, 1.12)
            tilt = rng.normal(0, 0.45, 2)
            r0 = x * Rc
            if self.phase == "transitional" and tau < 1.0:
                tau = max(tau, 0.06)
                d = r0 + dD * tau
                z = dD * tau * (1 - tau)
                p = C.Piece(poly, A, d * c, d * s, z, dD * dtau * c, dD * dtau * s, dD * (1 - 2 * tau) * dtau, col, 1.0, tilt, m["gloss"], rest=False)
            else:
                d = (r0 + dD) * rng.uniform(1.0, 1.08)
                p = C.Piece(C.rot_pts(poly, rng.uniform(0, 6.3)), A, d * c, d * s, 0, col=col, op=1.0, tilt=tilt * 0.4, gloss=m["gloss"], rest=True)
            base.append(p)
        self.pieces = C.replicate(base, self.sym, self.n_fold or 1, lambda p: p.mirrored(), lambda p, th: p.rotated(th))

    # ---------------------------------------------------------------- painting
    def _crater_field(self, lift=0.0):
        """Polar coordinates about the impact point, outline-normalised radius x = r / (Rc (1 + eps))."""
        A, B = self.view.A, self.view.B
        r = np.sqrt(A * A + B * B) + F32(1e-3)
        phi = np.arctan2(B, A)
        e = _eps(self.eps, phi) if self.phase != "pre" else 0.0
        return A, B, r, phi, r / (F32(self.Rc) * (1 + e))

    def paint_object(self, img, support, rng):
        view, light, m = self.view, self.light, self.mat
        h, w = img.shape[:2]
        A, B = view.A, view.B
        nz = self.nus["noise_obj"]
        self.support = support
        if m["kind"] == "granular":  # the bed is the support itself (ground kind 'sand')
            return np.ones((h, w), F32)
        ac, ra, rb = self.body
        lift = 0.0
        if self.phase == "pre" and m["kind"] in ("egg", "pumpkin"):
            lift = self.R * rng.uniform(0.3, 0.8)  # the falling body itself, still in the air
        self.lift = lift
        da = A - F32(ac) + F32(view.c * lift / max(view.f, 1e-3))
        x, y = da / F32(ra), B / F32(rb)
        q = x * x + y * y
        inside = q < 1
        # shadow of the body on the support
        sa, sb = light.shadow_offset(lift + 0.5 * rb)
        t = np.linspace(0, 2 * math.pi, 48, endpoint=False)
        ell = np.stack([ac + ra * np.cos(t), rb * np.sin(t)], 1)
        lay = np.zeros((h, w), np.uint8)
        fill(lay, view.proj_pts(ell + np.array([sa, sb])), 255)
        shd = blur(lay.astype(F32) / 255, 1.5 + light.soft * (lift + 0.5 * rb) * 0.5)
        img[:] = img * (1 - light.shadow * 0.85 * shd)[..., None]
        lay = np.zeros((h, w), np.uint8)
        fill(lay, view.proj_pts(ell, lift), 255)
        mask = lay.astype(F32) / 255
        if m["kind"] in ("egg", "pumpkin"):
            hz = np.sqrt(np.clip(1 - q, 0, 1))
            ga = -x / F32(ra) / np.maximum(hz, 0.08) * F32(rb * 0.8)
            gb = -y / F32(rb) / np.maximum(hz, 0.08) * F32(rb * 0.8)
            col = np.asarray(m["col"], F32) * F32(rng.uniform(0.9, 1.05))
            if m["kind"] == "egg" and rng.random() < 0.5:
                col = np.array([0.95, 0.93, 0.88], F32)
            alb = np.broadcast_to(col, img.shape).copy()
            if m["kind"] == "pumpkin":
                phi = np.arctan2(y, x)
                nrib = int(rng.integers(8, 13))
                rib = np.cos(nrib * phi)
                alb = alb * (1 - 0.18 * np.clip(-rib, 0, 1) * np.sqrt(np.clip(q, 0, 1)))[..., None]
                ga = ga + F32(0.4) * rib * np.sqrt(np.clip(q, 0, 1))
                alb = alb * (1 + 0.05 * nz.at(2, B, A, 2.0))[..., None]
            else:
                alb = alb * (1 + 0.025 * nz.at(2, B, A, 0.8))[..., None]
            sh, _, _ = light.shade(ga, gb)
            spec = light.spec(ga, gb, 30, view.c) * m["gloss"]
            body = alb * sh[..., None] + spec[..., None]
            if m["kind"] == "pumpkin":  # stem
                st = np.exp(-(((da) ** 2 + B * B) / (0.012 * ra * rb)))
                body = body * (1 - st[..., None]) + np.array([0.35, 0.4, 0.2], F32) * st[..., None]
        else:  # block: a lit top face with bevelled edges, inner bubbles / aggregate
            xx, yy = np.abs(x), np.abs(y)
            inside = (xx < 1) & (yy < 1)
            lay = np.zeros((h, w), np.uint8)
            rect = np.array([[ac - ra, -rb], [ac + ra, -rb], [ac + ra, rb], [ac - ra, rb]])
            fill(lay, view.proj_pts(rect), 255)
            mask = lay.astype(F32) / 255
            edge = smoothstep(0.88, 1.0, np.maximum(xx, yy))
            ga = edge * np.sign(x) * F32(1.5) * (xx >= yy)
            gb = edge * np.sign(y) * F32(1.5) * (yy > xx)
            sh, _, _ = light.shade(ga, gb)
            col = np.asarray(m["col"], F32) * F32(rng.uniform(0.9, 1.05))
            if self.mat_name == "ice_block":
                inner = 0.55 + 0.25 * smoothstep(-0.5, 1.5, nz.fbm(B, A, rb * 0.6, 3, k0=2))
                bub = np.clip(nz.at(4, B, A, 1.0) - 1.3, 0, 1)
                body = (support * 0.45 * col + col * inner[..., None] * 0.55) * sh[..., None] + bub[..., None] * 0.5
                body = body + light.spec(ga, gb, 40, view.c)[..., None] * 0.6
            else:
                agg = nz.fbm(B, A, 2.0, 2, k0=3)
                body = col * (1 + 0.08 * agg)[..., None] * sh[..., None]
        img[:] = img * (1 - mask[..., None]) + body * mask[..., None]
        self.body_mask = mask
        return mask

    def paint_structure(self, img, rng):
        view, light, m = self.view, self.light, self.mat
        h, w = img.shape[:2]
        A, B, r, phi, x = self._crater_field()
        Rc = self.Rc
        if m["kind"] == "granular":
            # bowl (paraboloid) inside, raised rim at x = 1; heights in ground px
            depth = 0.32 * Rc
            rim = 0.09 * Rc
            wr = 0.22
            hprof_in = -depth * (1 - x * x) + rim
            hprof_out = rim * np.exp(-(((x - 1) / wr) ** 2))
            dh = np.where(x < 1, depth * 2 * x, rim * (-2 * (x - 1) / (wr * wr)) * np.exp(-(((x - 1) / wr) ** 2)))
            del hprof_in, hprof_out
            scale = 1.0 / (Rc * (1 + _eps(self.eps, phi)))
            ga = dh * scale * A / r
            gb = dh * scale * B / r
            sh, _, _ = light.shade(ga, gb)
            sh0 = light.amb + (1 - light.amb) * light.L[2] / max(light.L[2], 0.3)
            inner = smoothstep(1.05, 0.85, x)
            img *= (sh / F32(sh0) * (1 - 0.12 * inner))[..., None]
            s = smoothstep(1.6, 0.0, x)
            return (s > 0.05).astype(F32) * np.clip(s * 1.5, 0, 1)
        # solid body: a crushed / burst zone and cracks
        zone = smoothstep(1.0, 0.92, x) * self.body_mask
        nz = self.nus["noise_obj"]
        if self.mat_name == "egg":
            alb_r = smoothstep(1.35, 1.2, x)
            yolk = smoothstep(0.5, 0.42, x * (1 + 0.1 * np.cos(phi)))
            hz = np.clip(1 - (x / 0.5) ** 2, 0, 1)
            ga = -A / (Rc * 0.5) * F32(1.2)
            gb = -B / (Rc * 0.5) * F32(1.2)
            sp = light.spec(ga * yolk, gb * yolk, 40, view.c)
            white = self.support * 0.75 + F32(0.2)
            out = img * (1 - alb_r[..., None]) + white * alb_r[..., None]
            yc = np.array([0.98, 0.62, 0.08], F32) * (0.75 + 0.25 * hz)[..., None]
            out = out * (1 - yolk[..., None]) + yc * yolk[..., None] + (sp * 0.8 * yolk)[..., None]
            ring = np.exp(-(((x - 1.3) / 0.04) ** 2))
            out = out + (0.25 * ring)[..., None]
            img[:] = out
            zone = np.maximum(alb_r, zone)
        elif self.mat_name == "pumpkin":
            fib = 0.5 + 0.5 * np.clip(nz.at(1, B, A, 1.5), -1, 1)
            pulp = np.array([0.98, 0.75, 0.3], F32) * (0.7 + 0.3 * fib)[..., None]
            dark = smoothstep(0.0, 0.8, x)
            pulp = pulp * (0.55 + 0.45 * dark)[..., None]
            seeds = np.clip(nz.at(5, B, A, 1.2) - 1.0, 0, 1) * 1.5
            pulp = pulp * (1 - seeds[..., None]) + np.array([0.95, 0.92, 0.8], F32) * seeds[..., None]
            img[:] = img * (1 - zone[..., None]) + pulp * zone[..., None]
        elif self.mat_name == "ice_block":
            gr = 0.75 + 0.25 * np.clip(nz.at(2, B, A, 0.8), -1, 1)
            img[:] = img * (1 - zone[..., None]) + (F32(0.95) * gr)[..., None] * zone[..., None]
        else:
            gr = 0.7 + 0.3 * np.clip(nz.at(2, B, A, 1.0), -1, 1)
            sp = np.array([0.35, 0.34, 0.33], F32) * gr[..., None]
            sh, _, _ = light.shade(-A / (Rc + 1e-3), -B / (Rc + 1e-3))
            img[:] = img * (1 - zone[..., None]) + sp * sh[..., None] * zone[..., None]
        ca = C.draw_lines((h, w), view, self.cracks, 1, [self.tips_running] * len(self.cracks)) * self.body_mask
        if self.mat_name == "ice_block":
            img[:] = img * (1 - 0.5 * ca[..., None]) + F32(0.95) * (0.5 * ca + 0.2 * blur(ca, 1.5))[..., None]
        elif self.mat_name == "pumpkin":
            img[:] = img * (1 - ca[..., None]) + np.array([0.85, 0.62, 0.25], F32) * ca[..., None]
        else:
            img[:] = img * (1 - 0.7 * ca[..., None])
        return np.maximum(zone, ca)

    def impactor(self, rng):
        kind = {"sand": "meteor", "egg": None, "pumpkin": None, "ice_block": "hammer", "concrete": "steel"}[self.mat_name]
        return self.R * rng.uniform(0.06, 0.12), kind

    def truth(self):
        t = {"material": self.mat_name, "crater_radius_px": round(float(self.Rc), 3)}
        if self.mat["kind"] != "granular":
            t["n_cracks"] = len(self.cracks)
            t["tips_running"] = self.phase == "transitional"
        return t


Plan = ImpactPlan


def nuisance(rng, scene, n):
    mat = material_for(scene.id, rng)
    extra = {"ground": "sand"} if MATERIALS[mat]["kind"] == "granular" else {}
    a = n["R_ev"] ** 2
    return {
        **extra,
        "A_tot": float(a * rng.uniform(0.1, 0.16)),
        "n_pieces": int(np.clip(round(n["R_ev"] * rng.uniform(1.2, 2.0)), 48, 160)),
        "material": mat,
        "body": [float(x) for x in rng.uniform(0, 1, 3)],
        "n_cracks": int(rng.choice([4, 6, 8])),

        "t_star": float(rng.uniform(0.55, 0.95)),
        "ejecta_shade": float(rng.uniform(0.7, 1.1)),
    }

