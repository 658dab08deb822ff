"""``sim`` fluid: a drop / stone / balloon into a liquid, seen from above.

Model.  The impact opens a cavity and throws up a crown: a thin sheet rising
round the cavity, flaring outward, with a rim that a Rayleigh-Plateau
instability breaks into fingers; droplets pinch off the finger tips and fly on
ballistic paths.  Finger count and spacing are equal (symmetric) or irregular;
droplet areas follow a truncated power law (plausible: broad sizes) or one size
(implausible); plausible droplets go downrange.  The implausible composite adds
a tall Worthington jet (a later instant) to the still-rising crown.  At the
``end`` the crown has fallen back: capillary-gravity ring waves spread from the
impact point and the droplets have settled on the surface (or on the table).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from bench.sources import _sim_common as C
from bench.sources._sim_world import F32, blur, fill, pts16, smoothstep

MATERIALS = {
    "milk": dict(opaque=True, col=(0.93, 0.92, 0.88), deep=(0.9, 0.89, 0.85), dish=True, fres=0.06),
    "coffee": dict(opaque=True, col=(0.42, 0.26, 0.14), deep=(0.2, 0.11, 0.05), dish=True, fres=0.08),
    "pond": dict(opaque=False, col=(0.85, 0.9, 0.88), deep=(0.09, 0.12, 0.08), dish=False, fres=0.25),
    "lake": dict(opaque=False, col=(0.85, 0.9, 0.95), deep=(0.07, 0.13, 0.19), dish=False, fres=0.3),
    "sea": dict(opaque=False, col=(0.92, 0.95, 0.96), deep=(0.06, 0.17, 0.2), dish=False, fres=0.25),
    "pool": dict(opaque=False, col=(0.85, 0.93, 0.97), deep=(0.35, 0.6, 0.72), dish=False, fres=0.12),
}


def material_for(scene_id, rng):
    s = scene_id.lower()
    for key, mat in (("milk", "milk"), ("pond", "pond"), ("skipping", "lake"), ("lake", "lake"), ("balloon", "pool"), ("sea", "sea"), ("wave", "sea"), ("coffee", "coffee")):
        if key in s:
            return mat
    return str(rng.choice(list(MATERIALS)))


class FluidPlan:
    family = "fluid"

    def __init__(self, view, light, rng, nus, labels, scene, S):
        self.view, self.light, self.nus, self.labels = view, light, nus, labels
        self.mat_name = nus["material"]
        m = self.mat = MATERIALS[self.mat_name]
        self.covers = not m["dish"]
        R = self.R = nus["R_ev"]
        self.phase = labels["phase"]
        u = nus["crown"]
        self.Rb = R * (0.24 + 0.12 * u[0])
        self.Rr = self.Rb * (1.15 + 0.2 * u[1])
        self.Hc = self.Rb * (0.5 + 0.4 * u[2])
        if m["dish"]:
            self.dish = (R * (u[3] - 0.5) * 0.3, R * (1.15 + 0.6 * u[4]))
        if self.phase == "pre":
            self.sym, self.n_fold, self.pieces, self.tau, self.ratio, self.direction, self.jet = "none", None, [], None, None, None, False
            self.look = C.PieceLook()
            return
        sym_label, plaus = labels["symmetric"], labels["plausible"]
        self.sym = ("dn" if (not plaus and rng.random() < 0.5) else "mirror") if sym_label else "none"
        nf = int(nus["n_fingers"])
        self.n_fold = nf if self.sym == "dn" else None
        # fingers: azimuths, lengths, widths (equal when symmetric)
        if sym_label:
            ph = 0.0 if rng.random() < 0.5 else math.pi / nf
            fa = ph + 2 * math.pi * np.arange(nf) / nf
            fl = np.full(nf, rng.uniform(0.22, 0.38))
            fw = np.full(nf, rng.uniform(0.05, 0.08))
        else:
            g = rng.uniform(0.35, 1.65, nf)
            fa = rng.uniform(0, 2 * math.pi) + np.cumsum(g) / g.sum() * 2 * math.pi
            fl = rng.uniform(0.08, 0.5, nf)
            fw = rng.uniform(0.035, 0.095, nf)
        self.fingers = (fa, fl * self.Rb, fw * self.Rb)
        self.alpha = math.radians(rng.uniform(25, 50))
        # rim height modulation
        if sym_label:
            self.rim_mod = [(nf, rng.uniform(0.0, 0.06), 0.0)]
        else:
            self.rim_mod = [(k, rng.uniform(0.04, 0.12), rng.uniform(0, 2 * math.pi)) for k in (1, 2, 3, 5)]
        self.jet = bool(self.phase == "transitional" and not plaus and nus["jet_draw"] < 0.5)
        self.Hj = self.Hc * rng.uniform(1.8, 2.8)
        # end: ring waves
        self.ring = (self.Rb * rng.uniform(1.3, 2.2), self.Rb * rng.uniform(0.6, 1.0), self.Rb * rng.uniform(0.22, 0.38))
        if self.sym == "none":
            self.ring_mod = [(k, rng.uniform(0.04, 0.1), rng.uniform(0, 2 * math.pi)) for k in (1, 2, 3)]
            self.ring_amp_mod = (rng.uniform(0.25, 0.5), rng.uniform(0, 2 * math.pi))
        else:
            self.ring_mod = []
            self.ring_amp_mod = (rng.uniform(0.0, 0.3), 0.0)
        self._droplets(rng, nus, scene)
        self.look = C.PieceLook(edge=0.0 if m["opaque"] else 0.5, bevel=0.6, shadow=0.8, sphere_hl=1.0)

    # ---------------------------------------------------------------- droplets
    def _droplets(self, rng, nus, scene):
        m, view = self.mat, self.view
        plaus = self.labels["plausible"]
        N = int(nus["n_pieces"])
        mb = C.base_count(N, self.sym, self.n_fold or 1)
        n_rep = {"none": 1, "mirror": 2, "dn": 2 * (self.n_fold or 1)}[self.sym]
        tau_rng = scene.physics.fragment_size_exponent or (1.3, 2.0)
        areas, self.tau, self.ratio = C.fragment_areas(rng, mb, plaus, tau_rng, nus["A_tot"] * 0.6 / n_rep, (20, 60))
        direction = "down" if plaus else ("iso" if (self.sym == "dn" or rng.random() < 0.5) else "up")
        self.direction = direction
        cone = C.ground_cone(view.f, nus["cone"])
        psi = C.base_angles(rng, mb, self.sym, self.n_fold or 1, direction, cone)
        dtau = nus["dtau"]
        col = np.asarray(m["col"]) if m["opaque"] else np.asarray(m["deep"]) * 0.6 + 0.25
        base = []
        for i in range(mb):
            A = float(areas[i])
            poly = C.shard(rng, A, "drop")
            fl = float(np.mean(self.fingers[1]))
            r_l = self.Rr + fl * math.cos(self.alpha)
            z_l = self.Hc + fl * math.sin(self.alpha)
            dD = self.R * rng.uniform(0.15, 0.75)
            c, s = math.cos(psi[i]), math.sin(psi[i])
            if self.phase == "transitional":
                tau = rng.uniform(0.08, 0.85)
                beta = math.radians(rng.uniform(20, 55))
                Hh = dD * math.tan(beta) / 4
                d = r_l + dD * tau
                z = z_l * (1 - tau) + 4 * Hh * tau * (1 - tau)
                dz = (-z_l + 4 * Hh * (1 - 2 * tau)) * dtau
                p = C.Piece(poly, A, d * c, d * s, z, dD * dtau * c, dD * dtau * s, dz, col, 0.95 if m["opaque"] else 0.75, (0, 0), 0.9, rest=False, sphere=True)
            else:
                d = (r_l + dD) * rng.uniform(1.0, 1.08)
                p = C.Piece(C.rot_pts(poly, rng.uniform(0, 6.3)), A, d * c, d * s, 0.0, col=col, op=0.9 if m["opaque"] else 0.7, gloss=0.9, rest=True, sphere=True, thick=0.3 * math.sqrt(A))
            base.append(p)
        self.pieces = C.replicate(base, self.sym, self.n_fold or 1, lambda p: p.mirrored(), lambda p, th: p.rotated(th))

    # ---------------------------------------------------------------- painting
    def _env(self, rng):
        """What the liquid reflects: sky / ceiling gradient, a bright window, dark foliage."""
        view = self.view
        h, w = view.h, view.w
        nz = self.nus["noise_obj"]
        yy, xx = np.mgrid[0:h, 0:w].astype(F32)
        g = rng.uniform(0.45, 0.9) + rng.uniform(-0.25, 0.25) * (yy / h - 0.5) + rng.uniform(-0.2, 0.2) * (xx / w - 0.5)
        env = np.stack([g * 0.95, g * 0.98, g * 1.05], -1).astype(F32)
        if rng.random() < 0.7:  # clouds
            cl = smoothstep(-0.2, 1.0, nz.fbm(xx * 0.7, yy, max(h, w) * 0.3, 4, k0=1))
            env = env * (1 - 0.5 * cl[..., None]) + F32(0.95) * 0.5 * cl[..., None]
        if rng.random() < 0.6:
            fol = smoothstep(0.2, 0.8, nz.fbm(xx, yy, max(h, w) * 0.25, 3, k0=3))
            env = env * (1 - 0.7 * fol[..., None]) + np.array([0.1, 0.14, 0.08], F32) * 0.7 * fol[..., None]
        if rng.random() < 0.6:  # a window / bright sky opening: long straight edges
            x0, y0 = rng.uniform(-0.2, 0.7) * w, rng.uniform(-0.2, 0.7) * h
            ww, hh = rng.uniform(0.2, 0.6) * w, rng.uniform(0.2, 0.6) * h
            win = smoothstep(x0, x0 + 1.5, xx) * smoothstep(x0 + ww, x0 + ww - 1.5, xx) * smoothstep(y0, y0 + 1.5, yy) * smoothstep(y0 + hh, y0 + hh - 1.5, yy)
            mull = smoothstep(0.5, 2.0, np.abs(xx - (x0 + ww / 2)))
            env = env + (F32(rng.uniform(0.4, 0.8)) * win * mull)[..., None]
        return env

    def paint_object(self, img, support, rng):
        view, light, m = self.view, self.light, self.mat
        h, w = img.shape[:2]
        self.support = support
        A, B = view.A, view.B
        nz = self.nus["noise_obj"]
        if m["dish"]:
            ac, rd = self.dish
            r = np.sqrt((A - F32(ac)) ** 2 + B * B)
            x = r / F32(rd)
            # dish shadow, rim, liquid inside
            sa, sb = light.shadow_offset(0.12 * rd)
            t = np.linspace(0, 2 * math.pi, 64, endpoint=False)
            circ = np.stack([ac + rd * 1.1 * np.cos(t), rd * 1.1 * np.sin(t)], 1)
            lay = np.zeros((h, w), np.uint8)
            fill(lay, view.proj_pts(circ + np.array([sa, sb])), 255)
            img[:] = img * (1 - 0.7 * light.shadow * blur(lay.astype(F32) / 255, 2 + 0.05 * rd))[..., None]
            lay = np.zeros((h, w), np.uint8)
            fill(lay, view.proj_pts(circ), 255)
            dish = lay.astype(F32) / 255
            dc = np.array([(0.08, 0.08, 0.09), (0.9, 0.9, 0.88), (0.15, 0.2, 0.3), (0.5, 0.2, 0.15)][rng.integers(4)], F32)
            slope = smoothstep(0.96, 1.1, x) * 1.2
            sh, _, _ = light.shade(slope * (A - F32(ac)) / (r + 1e-3), slope * B / (r + 1e-3))
            rim = dc * sh[..., None] + light.spec(slope * (A - F32(ac)) / (r + 1e-3), slope * B / (r + 1e-3), 60, view.c)[..., None] * 0.6
            img[:] = img * (1 - dish[..., None]) + rim * dish[..., None]
            liq = smoothstep(1.0, 0.97, x)
            self.liq_mask = liq
            obj = dish
        else:
            liq = np.ones((h, w), F32)
            self.liq_mask = liq
            obj = liq
        self.env = self._env(rng)
        col = np.asarray(m["deep"], F32) * F32(rng.uniform(0.85, 1.15))
        if self.mat_name == "pool":  # tiles seen through clear water
            T = self.nus["S"] * rng.uniform(1.0, 2.0)
            fx, fy = B / T, A / T
            d = np.minimum(np.abs(fx - np.round(fx)), np.abs(fy - np.round(fy)))
            base = col * (0.75 + 0.25 * smoothstep(0.02, 0.06, d))[..., None]
        elif m["opaque"]:
            base = np.broadcast_to(col, img.shape).astype(F32) * (1 + 0.02 * nz.fbm(B, A, self.R, 2, k0=1))[..., None]
        else:
            base = col * (1 + 0.25 * nz.fbm(B, A, self.R * 1.5, 3, k0=1))[..., None]
            if self.mat_name == "sea":
                foam = smoothstep(0.6, 1.3, nz.fbm(B, A, self.R * 0.5, 4, k0=2))
                base = base * (1 - foam[..., None]) + F32(0.85) * foam[..., None]
        self.base = base.astype(F32)
        self.fres = m["fres"] * (0.45 + 1.2 * view.c)
        # wind ripples / surface wrinkles (calm .. breezy), a texture of tiny slopes
        wamp = (rng.uniform(0.0, 0.12) if not m["opaque"] else rng.uniform(0.0, 0.02))
        cell = max(1.5, self.nus["S"] * rng.uniform(0.1, 0.3))
        self.wind = (nz.at(4, B * 1.0, A * 2.0, cell) * F32(wamp), nz.at(5, B * 2.0, A * 1.0, cell) * F32(wamp))
        surf = self._surface(np.zeros((h, w), F32), np.zeros((h, w), F32))
        img[:] = img * (1 - liq[..., None]) + surf * liq[..., None]
        return obj

    def _surface(self, ga, gb):
        """Liquid surface with slope (ga, gb): base colour + Fresnel-weighted, slope-distorted reflection + glints."""
        view, light = self.view, self.light
        h, w = view.h, view.w
        ga = ga + self.wind[0]
        gb = gb + self.wind[1]
        k = 6.0 * self.R / 50.0
        if not hasattr(self, "_grid"):
            self._grid = np.mgrid[0:h, 0:w].astype(F32)
        yy, xx = self._grid
        mx = xx + F32(k * 8) * gb
        my = yy + F32(k * 8) * ga
        refl = cv2.remap(self.env, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        sh, _, _ = light.shade(ga, gb)
        if self.mat["opaque"]:
            out = self.base * sh[..., None] + self.fres * refl
        else:
            out = self.base * (1 - self.fres) * (0.8 + 0.2 * sh[..., None]) + self.fres * refl
        out = out + (light.spec(ga, gb, 120, view.c) * 0.9)[..., None]
        return out.astype(F32)

    def paint_structure(self, img, rng):
        view, light, m = self.view, self.light, self.mat
        h, w = img.shape[:2]
        A, B = view.A, view.B
        r = np.sqrt(A * A + B * B) + F32(1e-3)
        phi = np.arctan2(B, A)
        liq = self.liq_mask
        if self.phase == "end":
            r0, W, lam = self.ring
            rr = r * (1 + sum(a * np.cos(k * phi - p) for k, a, p in self.ring_mod)) if self.ring_mod else r
            am = 1 + self.ring_amp_mod[0] * np.cos(phi - self.ring_amp_mod[1])
            env = np.exp(-(((rr - r0) / W) ** 2)) * am
            amp = 0.07 * lam
            kk = 2 * math.pi / lam
            dh = amp * kk * np.cos(kk * rr) * env  # dh/dr (envelope slope neglected)
            ga, gb = dh * A / r, dh * B / r
            surf = self._surface(ga, gb)
            img[:] = img * (1 - liq[..., None]) + surf * liq[..., None]
            mask = np.clip(env * 1.2, 0, 1) * liq  # the ring-wave train
            # the remaining dimple at the centre
            return mask
        # transitional: the cavity inside the crown base
        x = r / F32(self.Rb)
        dh = np.where(x < 1, 2 * x * 0.5, 0.0) * F32(1.0)
        ga, gb = dh * A / r, dh * B / r
        surf = self._surface(ga, gb) * (0.75 + 0.25 * smoothstep(0.0, 1.0, x))[..., None]
        cav = smoothstep(1.05, 0.95, x)
        img[:] = img * (1 - (cav * liq)[..., None]) + surf * (cav * liq)[..., None]
        mask = self._crown(img, rng)
        return np.maximum(mask, cav * liq)

    def _crown(self, img, rng):
        view, light, m = self.view, self.light, self.mat
        h, w = img.shape[:2]
        n = 120
        ph = np.linspace(0, 2 * math.pi, n, endpoint=False)
        mod = sum(a * np.cos(k * ph - p) for k, a, p in self.rim_mod)
        H = self.Hc * (1 + mod)
        Rr = self.Rr * (1 + 0.3 * mod)
        bx, by = view.proj(self.Rb * np.cos(ph), self.Rb * np.sin(ph), 0)
        tx, ty = view.proj(Rr * np.cos(ph), Rr * np.sin(ph), H)
        col = np.asarray(m["col"], F32)
        op = 0.95 if m["opaque"] else 0.55
        can = np.zeros((h, w, 4), np.uint8)
        # sheet quads: far side first (inner face visible, darker), then the near side
        order = np.argsort(np.cos(ph))
        L = light.L
        for i in order:
            j = (i + 1) % n
            q = np.array([[bx[i], by[i]], [bx[j], by[j]], [tx[j], ty[j]], [tx[i], ty[i]]])
            nrm = np.array([math.cos(ph[i]), math.sin(ph[i]), 0.35])
            if math.cos(ph[i]) < 0:
                nrm = -nrm
                nrm[2] = 0.35
            nrm /= np.linalg.norm(nrm)
            lum = light.amb + (1 - light.amb) * max(0.0, float(nrm @ L)) / max(L[2], 0.35)
            cc = np.clip(col * min(lum, 1.3), 0, 1.6)
            fill(can, q, (int(cc[0] * op * 159), int(cc[1] * op * 159), int(cc[2] * op * 159), int(op * 255)))
        # rim: a bright thick torus
        rim = np.stack([tx, ty], 1)
        th = max(1, int(round(self.Rb * 0.06)))
        v = int(min(1.0, float(col.mean()) * 1.2 + 0.1) * 159)
        cv2.polylines(can, [pts16(rim)], True, (v, v, v, 255), th, cv2.LINE_AA, 4)
        # fingers and their tip bulbs
        fa, fl, fw = self.fingers
        ca = math.cos(self.alpha)
        sa = math.sin(self.alpha)
        for k in range(len(fa)):
            modk = sum(a * math.cos(kk * fa[k] - p) for kk, a, p in self.rim_mod)
            rr, hh = self.Rr * (1 + 0.3 * modk), self.Hc * (1 + modk)
            c, s = math.cos(fa[k]), math.sin(fa[k])
            p0 = np.array(view.proj(rr * c, rr * s, hh))
            p1 = np.array(view.proj((rr + fl[k] * ca) * c, (rr + fl[k] * ca) * s, hh + fl[k] * sa))
            d = p1 - p0
            nd = np.hypot(*d) or 1.0
            nv = np.array([-d[1], d[0]]) / nd
            wb, wt = fw[k], fw[k] * 0.45
            q = np.array([p0 + nv * wb, p1 + nv * wt, p1 - nv * wt, p0 - nv * wb])
            lum = 0.85 + 0.25 * (c * L[0] + s * L[1])
            cc = np.clip(col * lum, 0, 1.6)
            fill(can, q, (int(cc[0] * op * 159), int(cc[1] * op * 159), int(cc[2] * op * 159), int(op * 255)))
            br = fw[k] * 1.5
            t = np.linspace(0, 2 * math.pi, 12, endpoint=False)
            fill(can, np.stack([p1[0] + br * np.cos(t), p1[1] + br * np.sin(t)], 1), (int(cc[0] * op * 159), int(cc[1] * op * 159), int(cc[2] * op * 159), int(op * 255)))
        if self.jet:
            self._jet(can, col, op)
        Cc = can[..., :3].astype(F32) * F32(1.6 / 255)
        Aa = can[..., 3].astype(F32) / 255
        # crown shadow on the liquid (offset along the light), then the crown
        sa_, sb_ = light.shadow_offset(self.Hc * 0.7)
        ssx, ssy = view.screen_dir(sa_, sb_)
        off = math.hypot(sa_ * view.f, sb_)
        M = np.float32([[1, 0, ssx * off], [0, 1, ssy * off]])
        shd = cv2.warpAffine(Aa, M, (w, h))
        shd = blur(shd, 1.0 + light.soft * self.Hc * 0.4)
        img *= (1 - 0.5 * light.shadow * shd * self.liq_mask)[..., None]
        covb = cv2.GaussianBlur(Aa, (0, 0), 0.9)
        gx = cv2.Sobel(covb, cv2.CV_32F, 1, 0) * F32(0.25)
        gy = cv2.Sobel(covb, cv2.CV_32F, 0, 1) * F32(0.25)
        lx, ly = view.screen_dir(light.L[0], light.L[1])
        facing = -(gx * F32(lx) + gy * F32(ly))
        Cc = Cc * np.clip(1 + 0.8 * facing, 0.4, 1.6)[..., None]
        if not m["opaque"]:
            Cc = Cc + (np.sqrt(gx * gx + gy * gy) * 0.8)[..., None]
        img[:] = img * (1 - Aa[..., None]) + Cc
        return np.clip(Aa / max(op, 1e-3), 0, 1)

    def _jet(self, can, col, op):
        view = self.view
        wj = self.Rb * 0.14
        p0 = np.array(view.proj(0.0, 0.0, 0.0))
        p1 = np.array(view.proj(0.0, 0.0, self.Hj))
        d = p1 - p0
        nd = np.hypot(*d)
        nv = np.array([-d[1], d[0]]) / nd if nd > 1e-6 else np.array(view.v)
        q = np.array([p0 + nv * wj, p1 + nv * wj * 0.7, p1 - nv * wj * 0.7, p0 - nv * wj])
        cc = np.clip(col * 1.05, 0, 1.6)
        fill(can, q, (int(cc[0] * op * 159), int(cc[1] * op * 159), int(cc[2] * op * 159), int(op * 255)))
        t = np.linspace(0, 2 * math.pi, 16, endpoint=False)
        br = wj * 1.5
        top = p1 + (d / nd if nd > 1e-6 else 0) * br * 0.8
        fill(can, np.stack([top[0] + br * np.cos(t), top[1] + br * np.sin(t)], 1), (int(cc[0] * 159), int(cc[1] * 159), int(cc[2] * 159), 255))

    def impactor(self, rng):
        kind = {"milk": "drop", "coffee": "drop", "pond": "rock", "lake": "stone", "sea": "rock", "pool": "balloon"}[self.mat_name]
        r = self.R * (rng.uniform(0.1, 0.16) if kind == "balloon" else rng.uniform(0.05, 0.1))
        return r, kind

    def truth(self):
        fa, fl, fw = self.fingers
        return {
            "material": self.mat_name,
            "n_fingers": len(fa),
            "finger_angles_deg": [round(math.degrees(a) % 360, 3) for a in fa],
            "finger_lengths_px": [round(float(x), 3) for x in fl],
            "crown_radius_px": round(float(self.Rr), 3),
            "worthington_jet": bool(self.jet),
        }


Plan = FluidPlan


def nuisance(rng, scene, n):
    return {
        "material": material_for(scene.id, rng),
        "crown": [float(x) for x in rng.uniform(0, 1, 5)],
        "n_fingers": int(rng.choice([8, 10, 12, 14, 16, 18, 20])),
        "jet_draw": float(rng.uniform(0, 1)),
    }

