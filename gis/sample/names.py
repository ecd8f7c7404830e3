"""Deterministic Chinese place and person names for the synthetic county."""

from __future__ import annotations

import numpy as np

PLACE_FIRST = (
    "东西南北上下大小新老青白黄红石龙凤马牛鹤松竹梅桃李杨柳金银铜铁水山田林河湖溪塘坑岭"
    "岗坪坝湾洲沙泉井桥塘亭岩峰源丰富安宁和平太福禄寿长永兴隆昌盛广宝华"
)
PLACE_SECOND = (
    "岭坑塘田湖溪山坪洲湾源口头尾坝桥岗寨冈屯埔墩围陂背角埔垌朗洞岩峰林村圳河江浦兴安和丰平隆盛华光明阳新联合星星"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉海燕春梅晓东雪琳喆赟婷宇浩"


def unique_place_names(rng: np.random.Generator, n: int, taken: set[str] | None = None) -> list[str]:
    """``n`` distinct place stems, none already in ``taken``: two characters while they last, then three.

    Drawn from shuffled lists of every combination, so any ``n`` terminates (a province needs 24,000+).
    """
    seen = set() if taken is None else set(taken)
    pairs = [a + b for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
    out: list[str] = []
    if n <= len(pairs) // 2:  # a county: draw freely (rejections stay rare)
        while len(out) < n:
            stem = rng.choice(list(PLACE_FIRST)) + rng.choice(list(PLACE_SECOND))
            if stem[0] != stem[1] and stem not in seen:
                seen.add(stem)
                out.append(stem)
        return out
    for stem in rng.permutation(pairs).tolist():
        if len(out) == n:
            return out
        if stem not in seen:
            seen.add(stem)
            out.append(stem)
    triples = [p + c for p in pairs for c in PLACE_SECOND if c != p[1]]
    for stem in rng.permutation(triples).tolist():
        if len(out) == n:
            break
        if stem not in seen:
            seen.add(stem)
            out.append(stem)
    if len(out) < n:
        raise ValueError(f"cannot make {n} distinct place names")
    return out


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` person names (surname + one or two given characters); repeats are realistic."""
    surnames = rng.choice(list(SURNAMES), size=n)
    first = rng.choice(list(GIVEN), size=n)
    second = rng.choice(list(GIVEN), size=n)
    two = rng.uniform(size=n) < 0.6
    return [s + f + (g if t else "") for s, f, g, t in zip(surnames, first, second, two, strict=True)]
