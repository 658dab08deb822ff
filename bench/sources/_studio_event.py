"""Event machinery of the ``studio`` source: the size law, ejection directions,
3-D pieces (thin prisms), droplets, tubes, faces and crack polylines, their mirror
twins, and the drawing of all of them at sub-frame times (exposure blur).

World units: the event radius (the spread of the debris at the photographed
instant) is 1.  Time unit: the photographed instant is one time unit after the impact.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from bench.sources._studio_core import (_SPHERE_NORMALS, F32, UP, Camera, Canvas, Lights, Mirror, draw_sphere, draw_tube,
                                        flat_capsule, shade, unit)


# ------------------------------------------------------------------ laws
def draw_areas(ev, n, total, plausible, tau_range, ratio=(60.0, 220.0)):
    """``n`` piece areas summing to ``total``: a truncated power law n(A) ~ A^-tau with tau
    drawn inside ``tau_range`` (plausible) or equal sizes +- 5 % (implausible).

    Returns (areas, tau or None, (A_min, A_max) of the truncated law or None)."""
    if plausible:
        lo, hi = tau_range
        wdt = hi - lo
        tau = float(ev.uniform(lo + 0.12 * wdt, hi - 0.12 * wdt))
        r = float(ev.uniform(*ratio))
        u = ev.random(n)
        a = (1.0 - u * (1.0 - r ** (1.0 - tau))) ** (1.0 / (1.0 - tau))
        k = total / a.sum()
        return a * k, tau, (float(k), float(k * r))
    A = np.full(n, total / n) * (1.0 + ev.uniform(-0.05, 0.05, n))
    A *= total / A.sum()
    return A, None, None


def image_angle(cam: Camera, v, d2):
    """Angle (deg) between the image-plane motion of a point leaving the impact point
    with velocity v and the 2-D direction d2 (the impact point is on the optical axis)."""
    q = cam.vec(v)
    return np.degrees(np.arccos(np.clip((q[..., 0] * d2[0] + q[..., 1] * d2[1]) /
                                        np.maximum(np.hypot(q[..., 0], q[..., 1]), 1e-9), -1, 1)))


def cone(ev, axis, n, sigma_deg, max_deg):
    """Unit vectors around ``axis``: polar angle |N(0, sigma)| clipped, uniform azimuth."""
    axis = unit(axis)
    tmp = np.array([0.0, 1.0, 0.0]) if abs(axis[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = unit(np.cross(axis, tmp))
    e2 = np.cross(axis, e1)
    th = np.radians(np.minimum(np.abs(ev.normal(0, sigma_deg, n)), max_deg))
    ph = ev.uniform(0, 2 * math.pi, n)
    return (np.cos(th)[:, None] * axis + np.sin(th)[:, None] * (np.cos(ph)[:, None] * e1 + np.sin(ph)[:, None] * e2))


def sphere_dirs(ev, n):
    return unit(ev.normal(size=(n, 3)))


def ejecta_directions(ev, n, fr, plausible, imp_mode):
    """Directions of ``n`` ejecta.

    fr: frame dict with ``mode`` ('through': the target is pierced, debris continue
    downrange; 'ground': the impact is into a supporting surface, debris leave it
    outward and up, biased toward the downrange tangent), ``d3`` (3-D impact
    direction), ``tang`` (unit downrange tangent or None), ``cam``, ``d2``.
    imp_mode: 'isotropic' or 'uprange' (used when not plausible).
    """
    d3 = unit(fr["d3"])
    cam = fr["cam"]
    if plausible:
        if fr["mode"] == "through":
            out = []
            while len(out) < n:
                c = cone(ev, d3, 2 * n, 24.0, 52.0)
                ok = image_angle(cam, c, fr["d2"]) < 62.0
                out.extend(c[ok])
            return np.asarray(out[:n])
        # ground: leave the surface at low to moderate elevation (an ejecta curtain)
        el = np.radians(ev.uniform(10, 55, n))
        tang = fr.get("tang")
        if tang is not None:
            base = math.atan2(tang[2], tang[0])
            az = base + np.radians(np.clip(ev.normal(0, 38, n), -72, 72))
        else:
            az = ev.uniform(0, 2 * math.pi, n)
        return np.stack([np.cos(el) * np.cos(az), np.sin(el), np.cos(el) * np.sin(az)], axis=-1)
    if imp_mode == "isotropic":
        return sphere_dirs(ev, n)
    # uprange: thrown back against the impact direction
    if fr["mode"] == "through":
        return cone(ev, -d3, n, 22.0, 50.0)
    return cone(ev, -d3, n, 12.0, 25.0)


# ------------------------------------------------------------------ geometry helpers
def rotvecs(w):
    """(n,3) rotation vectors -> (n,3,3) matrices."""
    th = np.linalg.norm(w, axis=-1)
    k = w / np.maximum(th, 1e-12)[:, None]
    K = np.zeros((len(w), 3, 3))
    K[:, 0, 1], K[:, 0, 2] = -k[:, 2], k[:, 1]
    K[:, 1, 0], K[:, 1, 2] = k[:, 2], -k[:, 0]
    K[:, 2, 0], K[:, 2, 1] = -k[:, 1], k[:, 0]
    s = np.sin(th)[:, None, None]
    c = (1 - np.cos(th))[:, None, None]
    return np.eye(3)[None] + s * K + c * (K @ K)


def random_rotations(ev, n):
    q = unit(ev.normal(size=(n, 4)))
    a, b, c, d = q.T
    R = np.empty((n, 3, 3))
    R[:, 0, 0] = a * a + b * b - c * c - d * d
    R[:, 0, 1] = 2 * (b * c - a * d)
    R[:, 0, 2] = 2 * (b * d + a * c)
    R[:, 1, 0] = 2 * (b * c + a * d)
    R[:, 1, 1] = a * a - b * b + c * c - d * d
    R[:, 1, 2] = 2 * (c * d - a * b)
    R[:, 2, 0] = 2 * (b * d - a * c)
    R[:, 2, 1] = 2 * (c * d + a * b)
    R[:, 2, 2] = a * a - b * b - c * c + d * d
    return R


def lying_rotations(ev, n, tilt_deg=8.0):
    """Pieces lying flat on the support: local z along world up, random yaw, small tilt."""
    yaw = ev.uniform(0, 2 * math.pi, n)
    R = np.zeros((n, 3, 3))
    # local x, y in the horizontal plane, local z = up
    R[:, 0, 0] = np.cos(yaw)
    R[:, 2, 0] = np.sin(yaw)
    R[:, 0, 1] = -np.sin(yaw)
    R[:, 2, 1] = np.cos(yaw)
    R[:, 1, 2] = 1.0
    tilt = rotvecs(ev.normal(0, math.radians(tilt_deg) / 1.5, (n, 3)) * np.array([1, 0, 1]))
    return tilt @ R


def shard_shapes(ev, areas, aspect=(1.4, 3.5), jag=0.25):
    """Irregular pentagons (n,5,2) of the given areas, elongated along local x."""
    n = len(areas)
    ang = np.sort(ev.uniform(0, 2 * math.pi, (n, 5)), axis=1)
    ang += np.linspace(0, 2 * math.pi, 5, endpoint=False)[None] * 0.0
    base = np.linspace(0, 2 * math.pi, 5, endpoint=False)[None] + ev.uniform(-0.45, 0.45, (n, 5)) + ev.uniform(0, 6.3, (n, 1))
    rad = 1.0 + ev.uniform(-jag, jag, (n, 5))
    asp = np.exp(ev.uniform(math.log(aspect[0]), math.log(aspect[1]), n))
    x = np.cos(base) * rad * np.sqrt(asp)[:, None]
    y = np.sin(base) * rad / np.sqrt(asp)[:, None]
    P = np.stack([x, y], -1)
    # shoelace area -> rescale (sort vertices by angle so the polygon is simple)
    order = np.argsort(np.arctan2(P[..., 1], P[..., 0]), axis=1)
    P = np.take_along_axis(P, order[..., None], axis=1)
    a = 0.5 * np.abs(np.sum(P[:, :, 0] * np.roll(P[:, :, 1], -1, 1) - np.roll(P[:, :, 0], -1, 1) * P[:, :, 1], axis=1))
    P *= np.sqrt(areas / np.maximum(a, 1e-12))[:, None, None]
    return P


# ------------------------------------------------------------------ element containers
class Pieces:
    """Thin prisms: local pentagon (n,5,2), thickness, orientation, centre, velocity,
    angular velocity, gravity, per-piece albedo, material."""

    def __init__(self):
        self.n = 0

    def set(self, loc, th, R, c, v, w, g, albedo, mat, airborne, tags_role="structure"):
        self.loc = np.asarray(loc, float)
        self.th = np.asarray(th, float)
        self.R = np.asarray(R, float)
        self.c = np.asarray(c, float)
        self.v = np.asarray(v, float)
        self.w = np.asarray(w, float)
        self.g = float(g)
        self.albedo = np.asarray(albedo, float)
        self.mat = mat
        self.airborne = np.asarray(airborne, bool)
        self.n = len(self.c)
        self.ids = np.arange(1, self.n + 1)
        return self

    def mirrored(self, M: Mirror):
        """Mirror twins (exact image reflection of every vertex)."""
        S = np.eye(3) - 2 * np.outer(M.n, M.n)
        Fl = np.diag([1.0, -1.0, 1.0])
        t = Pieces()
        loc = self.loc.copy()
        loc[..., 1] *= -1
        loc = loc[:, ::-1]
        t.set(loc, self.th, S[None] @ self.R @ Fl[None], M.point(self.c), M.vector(self.v), -(self.w @ S.T), self.g,
              self.albedo, self.mat, self.airborne)
        return t

    def concat(self, other):
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        out = Pieces()
        out.set(np.concatenate([self.loc, other.loc]), np.concatenate([self.th, other.th]),
                np.concatenate([self.R, other.R]), np.concatenate([self.c, other.c]),
                np.concatenate([self.v, other.v]), np.concatenate([self.w, other.w]), self.g,
                np.concatenate([self.albedo, other.albedo]), self.mat, np.concatenate([self.airborne, other.airborne]))
        return out

    def at(self, dt):
        c = self.c + self.v * dt - 0.5 * self.g * dt * dt * UP * self.airborne[:, None]
        R = rotvecs(self.w * dt) @ self.R if dt != 0 else self.R
        n = self.n
        top = np.concatenate([self.loc, np.broadcast_to(self.th[:, None, None] / 2, (n, 5, 1))], axis=-1)
        bot = top.copy()
        bot[..., 2] *= -1
        loc3 = np.concatenate([top, bot], axis=1)  # (n,10,3)
        V = c[:, None, :] + np.einsum("nij,nkj->nki", R, loc3)
        # face normals: top, bottom, 5 sides
        e = np.roll(self.loc, -1, axis=1) - self.loc
        en = np.stack([e[..., 1], -e[..., 0], np.zeros_like(e[..., 0])], -1)
        en = en / np.maximum(np.linalg.norm(en, axis=-1, keepdims=True), 1e-12)
        mid = 0.5 * (np.roll(self.loc, -1, axis=1) + self.loc)
        sgn = np.sign(np.sum(en[..., :2] * (mid - self.loc.mean(axis=1, keepdims=True)), axis=-1, keepdims=True))
        en = en * np.where(sgn == 0, 1, sgn)
        Nl = np.concatenate([np.tile([[0, 0, 1.0]], (n, 1, 1)), np.tile([[0, 0, -1.0]], (n, 1, 1)), en], axis=1)
        N = np.einsum("nij,nkj->nki", R, Nl)
        return V, N, c


def piece_faces():
    top = [0, 1, 2, 3, 4]
    bot = [9, 8, 7, 6, 5]
    sides = [[k, (k + 1) % 5, (k + 1) % 5 + 5, k + 5] for k in range(5)]
    return [top, bot] + sides


PIECE_FACES = piece_faces()


class Drops:
    """Spheres (droplets, beads, grains, seeds, the impactor ball)."""

    def __init__(self):
        self.n = 0

    def set(self, c, v, r, albedo, mat, airborne):
        self.c = np.asarray(c, float).reshape(-1, 3)
        self.v = np.asarray(v, float).reshape(-1, 3)
        self.r = np.asarray(r, float).reshape(-1)
        self.albedo = np.asarray(albedo, float).reshape(-1, 3)
        self.mat = mat
        self.airborne = np.asarray(airborne, bool).reshape(-1)
        self.n = len(self.r)
        return self

    def mirrored(self, M: Mirror):
        return Drops().set(M.point(self.c), M.vector(self.v), self.r, self.albedo, self.mat, self.airborne)

    def concat(self, o):
        if o.n == 0:
            return self
        if self.n == 0:
            return o
        return Drops().set(np.concatenate([self.c, o.c]), np.concatenate([self.v, o.v]), np.concatenate([self.r, o.r]),
                           np.concatenate([self.albedo, o.albedo]), self.mat, np.concatenate([self.airborne, o.airborne]))

    def at(self, dt, g):
        return self.c + self.v * dt - 0.5 * g * dt * dt * UP * self.airborne[:, None]


class Event:
    """All drawables of the event plus its truth."""

    def __init__(self):
        self.pieces = Pieces()
        self.piece_role = "pieces"   # count pieces as detached pieces
        self.drops = Drops()
        self.drops_are_pieces = False
        self.grains = Drops()        # fine particles (not counted as pieces)
        self.tubes = []              # dicts: p1, p2, v (velocity), r1, r2, mat, tag
        self.faces = []              # dicts: verts (k,3), normal, mat, tag, v
        self.lines = []              # dicts: pts (k,3), col, alpha, width, tag
        self.haze = None             # dict: colour, strength, sigma (world)
        self.g = 0.3
        self.truth = {}

    def mirror_all(self, M: Mirror):
        """Append mirror twins of every structure element (symmetric label)."""
        if self.pieces.n:
            self.pieces = self.pieces.concat(self.pieces.mirrored(M))
        if self.drops.n:
            self.drops = self.drops.concat(self.drops.mirrored(M))
        if self.grains.n:
            self.grains = self.grains.concat(self.grains.mirrored(M))
        S = np.eye(3) - 2 * np.outer(M.n, M.n)
        tw = []
        for t in self.tubes:
            if t.get("self_sym"):
                continue
            t2 = dict(t)
            t2["p1"], t2["p2"] = M.point(t["p1"]), M.point(t["p2"])
            t2["v"] = M.vector(t.get("v", np.zeros(3)))
            tw.append(t2)
        self.tubes += tw
        fw = []
        for f in self.faces:
            if f.get("self_sym"):
                continue
            f2 = dict(f)
            f2["verts"] = M.point(f["verts"])[::-1]
            f2["normal"] = S @ f["normal"]
            f2["v"] = M.vector(f.get("v", np.zeros(3)))
            fw.append(f2)
        self.faces += fw
        lw = []
        for ln in self.lines:
            if ln.get("self_sym"):
                continue
            l2 = dict(ln)
            l2["pts"] = M.point(ln["pts"])
            lw.append(l2)
        self.lines += lw


# ------------------------------------------------------------------ drawing
def _tags(tag, pid=None):
    if tag is None:
        return None
    t = {tag: 1.0}
    if tag == "structure" and pid is not None:
        t["pieces"] = float(pid)
    return t


def _moves(v):
    return bool(np.any(np.asarray(v) != 0))


def draw_event(cv: Canvas, cam: Camera, L: Lights, ev: Event, dt, with_masks, select=None, fine=True, impactors=(),
               motion=None, sub=0.0):
    """Draw the elements of the event at time offset ``dt``, far to near.

    ``select(z)`` keeps only items at camera depth z (pieces behind / in front of the
    object); ``fine`` also draws the crack lines and fine grains; ``motion`` = 'static'
    or 'moving' draws only the elements at rest or only the moving ones."""
    keep = (lambda z: True) if select is None else select
    want = lambda mv: motion is None or (mv if motion == "moving" else not mv)
    items = []
    for f in ev.faces:
        if not want(_moves(f.get("v", 0))):
            continue
        V = f["verts"] + f.get("v", 0) * dt
        z = cam.cam(V.mean(axis=0))[2]
        if keep(z):
            items.append((z + f.get("zbias", 0.0), 0, f, V))
    P = ev.pieces
    if P.n:
        PV, PN, PC = P.at(dt)
        zc = cam.cam(PC)[:, 2]
        pm = P.airborne | np.any(P.v != 0, axis=1) | np.any(P.w != 0, axis=1)
        for i in range(P.n):
            if keep(zc[i]) and want(pm[i]):
                items.append((zc[i], 1, i, None))
    if ev.drops.n:
        DC = ev.drops.at(dt, ev.g)
        zd = cam.cam(DC)[:, 2]
        dm = ev.drops.airborne | np.any(ev.drops.v != 0, axis=1)
        for i in range(ev.drops.n):
            if keep(zd[i]) and want(dm[i]):
                items.append((zd[i], 2, i, DC[i]))
    for t in ev.tubes:
        if not want(_moves(t.get("v", 0))):
            continue
        p1 = t["p1"] + t.get("v", 0) * dt
        p2 = t["p2"] + t.get("v", 0) * dt
        z = cam.cam(0.5 * (p1 + p2))[2]
        if keep(z):
            items.append((z + t.get("zbias", 0.0), 3, t, (p1, p2)))
    for fn in impactors:
        if not want(getattr(fn, "moving", True)):
            continue
        z = cam.cam(fn.pos)[2]
        if keep(z):
            items.append((z, 4, fn, None))
    items.sort(key=lambda it: -it[0])

    gm = ev.grains.n and (bool(ev.grains.airborne.any()) or _moves(ev.grains.v))
    if fine and ev.grains.n and want(gm):
        GC = ev.grains.at(dt, ev.g)
        uv, z = cam.proj(GC)
        rpx = ev.grains.r * cam.f / z
        col, al = shade(np.tile(np.array([[-0.3, -0.5, -0.8]], F32), (ev.grains.n, 1)), ev.grains.mat, L)
        col = col * (ev.grains.albedo / np.maximum(ev.grains.mat["albedo"], 1e-3)) ** 2
        tg = _tags("structure") if with_masks else None
        for i in range(ev.grains.n):
            cv.disc(uv[i], max(0.45, rpx[i]), col[i], float(al[i]) * min(1.0, 0.35 + rpx[i]), tg)
    if fine and want(False):
        for ln in ev.lines:
            uv, z = cam.proj(ln["pts"])
            if np.any(z < 0.05):
                continue
            cv.lines([uv], ln["col"], ln["alpha"], ln["width"], _tags(ln.get("tag", "structure")) if with_masks else None)

    if P.n and any(it[1] == 1 for it in items):
        cam_n = PN @ cam.R.T
        fcent = np.stack([PV[:, f, :].mean(axis=1) for f in PIECE_FACES], axis=1)
        vis = np.sum(PN * (cam.C[None, None, :] - fcent), axis=-1) > 0
        col, al = shade(cam_n.astype(F32), dict(P.mat, albedo=P.albedo[:, None, :]), L)
        uvP, _ = cam.proj(PV)
        FP = cv._fix(uvP)
        if sub > 0:
            # swept hulls: each moving piece from dt - sub/2 to dt + sub/2 (a smooth streak over the exposure)
            Va, _, _ = P.at(dt - 0.5 * sub)
            Vb, _, _ = P.at(dt + 0.5 * sub)
            uvA = cam.proj(Va)[0]
            uvB = cam.proj(Vb)[0]
            mcol = np.einsum("nk,nkc->nc", vis.astype(F32), col * al[..., None]) / np.maximum(vis.sum(axis=1, keepdims=True), 1)
            mal = (vis * al).sum(axis=1) / np.maximum(vis.sum(axis=1), 1)
        colp = (col * al[..., None]).tolist()
        edge_base = 0.3 * float(np.mean(L.key_col)) + 0.8 * float(np.mean(L.env_col)) + 0.2 * float(np.mean(L.sky_col))
        alp = al.tolist()
        visl = vis.tolist()
    if ev.drops.n and any(it[1] == 2 for it in items):
        # mean sphere shading of every drop at once (small drops are drawn flat)
        dc, da = shade(np.broadcast_to(_SPHERE_NORMALS, (ev.drops.n,) + _SPHERE_NORMALS.shape),
                       dict(ev.drops.mat, albedo=ev.drops.albedo[:, None, :]), L)
        dcol = dc.mean(axis=1)
        dal = da.mean(axis=1) if np.ndim(da) > 1 else np.full(ev.drops.n, float(np.mean(da)))
    for z, kind, obj, extra in items:
        if kind == 0:
            f = obj
            uv, zz = cam.proj(extra)
            if np.any(zz < 0.05):
                continue
            nc = cam.vec(f["normal"])
            if nc[2] > 0:
                if not f.get("two_sided", True):
                    continue
                nc = -nc
                m = dict(f["mat"], albedo=np.asarray(f["mat"]["albedo"]) * f.get("back_dim", 0.6))
            else:
                m = f["mat"]
            c, a = shade(nc[None].astype(F32), m, L)
            cv.poly(uv, c[0], float(a[0]) * f.get("alpha_mul", 1.0), _tags(f.get("tag"), f.get("pid")) if with_masks else None)
        elif kind == 1:
            i = obj
            pid = P.ids[i] if ev.piece_role == "pieces" else None
            tg = _tags("structure", pid) if with_masks else None
            if sub > 0 and pm[i]:
                hull = cv2.convexHull(np.concatenate([uvA[i], uvB[i]]).astype(np.float32))[:, 0, :]
                a_ = float(mal[i])
                cv.poly(hull, mcol[i] / max(a_, 1e-3), a_, tg)
                continue
            for k, fi in enumerate(PIECE_FACES):
                if visl[i][k]:
                    cv.poly_fixed(FP[i, fi], colp[i][k], alp[i][k], tg)
            if P.mat.get("edge", 0) > 0:
                k = 0 if vis[i, 0] else 1
                fi = PIECE_FACES[k]
                ring = uvP[i, fi + fi[:1]]
                ec = np.minimum(col[i, k] + edge_base * P.albedo[i] / max(float(P.albedo[i].max()), 1e-3), 3.0)
                cv.lines([ring], ec, P.mat["edge"], 0.5, None)
        elif kind == 2:
            i = obj
            uv, zz = cam.proj(extra)
            r = ev.drops.r[i] * cam.f / zz
            m = dict(ev.drops.mat, albedo=ev.drops.albedo[i])
            pid = (P.n + 1 + i) if ev.drops_are_pieces else None
            tg = _tags("structure", pid) if with_masks else None
            if sub > 0 and dm[i]:
                # the drop's path during this sub-frame: a capsule, so that the exposure gives a streak
                h = 0.5 * sub
                pa = ev.drops.c[i] + ev.drops.v[i] * (dt - h) - (0.5 * ev.g * (dt - h) ** 2 * UP if ev.drops.airborne[i] else 0)
                pb = ev.drops.c[i] + ev.drops.v[i] * (dt + h) - (0.5 * ev.g * (dt + h) ** 2 * UP if ev.drops.airborne[i] else 0)
                ua, _ = cam.proj(pa)
                ub, _ = cam.proj(pb)
                if r < 3.5:  # a blurred small drop shows no shading detail
                    flat_capsule(cv, ua, ub, max(r, 0.5), max(r, 0.5), dcol[i], float(dal[i]) * min(1.0, 0.4 + r), tg)
                else:
                    draw_tube(cv, ua, ub, r, r, m, L, tg)
            elif r < 1.6:
                cv.disc(uv, max(r, 0.5), dcol[i], float(dal[i]) * min(1.0, 0.4 + r), tg)
            else:
                draw_sphere(cv, uv, r, m, L, tg)
        elif kind == 3:
            t = obj
            p1, p2 = extra
            u1, z1 = cam.proj(p1)
            u2, z2 = cam.proj(p2)
            if min(z1, z2) < 0.05:
                continue
            draw_tube(cv, u1, u2, t["r1"] * cam.f / z1, t["r2"] * cam.f / z2, t["mat"], L,
                      _tags(t.get("tag", "structure")) if with_masks else None, caps=t.get("caps", True))
        else:
            obj(cv, cam, L, dt, with_masks, sub=sub)


def draw_haze(img, cam: Camera, ev: Event, dt_list, px_scale):
    """Dust / spray haze: the density of the fine particles, blurred, as a translucent veil."""
    hz = ev.haze
    if hz is None or ev.grains.n == 0:
        return None
    h, w = img.shape[:2]
    dens = np.zeros((h, w), F32)
    for dt in dt_list:
        GC = ev.grains.at(dt, ev.g)
        uv, z = cam.proj(GC)
        ij = np.round(uv).astype(int)
        ok = (ij[:, 0] >= 0) & (ij[:, 0] < w) & (ij[:, 1] >= 0) & (ij[:, 1] < h)
        np.add.at(dens, (ij[ok, 1], ij[ok, 0]), 1.0 / len(dt_list))
    sig = max(1.0, hz["sigma"] * px_scale)
    dens = cv2.GaussianBlur(dens, (0, 0), sig) * (2 * math.pi * sig * sig)
    a = 1.0 - np.exp(-hz["strength"] * dens / 6.0)
    a = np.clip(a, 0, 0.85).astype(F32)
    img *= (1 - a[..., None])
    img += a[..., None] * np.asarray(hz["colour"], F32) ** 2 * float(hz.get("light", 1.0))
    return a
