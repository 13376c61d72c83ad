"""Chinese personal and company names, drawn in bulk.

Surnames and given-name characters are Zipf-weighted, as in the population,
so distinct people share names (and, with the birth-date spread, some share a
name and a birth date too): exactly what identity resolution must survive.
"""

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华飞鹏辉玲红婷宇浩凯健俊帆帅旭宁琳晨欣悦佳"
    "文斌波斌海峰建国志刚立新春梅兰英秀桂云莉萍雪琴亮林晶倩燕慧瑶婉思雨嘉子轩梓涵诗"
)
COMPANY_STEMS = list("华信恒通宏达瑞丰鑫盛泰和嘉禾中天金源长城东方新世纪远航博远锦绣")
COMPANY_TRADES = ["贸易", "科技", "实业", "建设", "物流", "食品", "医药", "电子", "投资", "制造"]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平街", "新华路", "长江路", "滨河路", "文化路"]
DISTRICTS = ["东城区", "西城区", "朝阳区", "海淀区", "浦东新区", "天河区", "南山区", "西湖区"]


def _gbk_pipe_trail_chars(limit: int = 12) -> list[str]:
    """CJK characters whose GBK encoding's second byte is 0x7C, the field separator.

    Readers must decode before splitting on '|'; names containing these prove it.
    """
    found = []
    for code in range(0x4E00, 0x9FA6):
        encoded = chr(code).encode("gbk", errors="ignore")
        if len(encoded) == 2 and encoded[1] == 0x7C:
            found.append(chr(code))
            if len(found) == limit:
                break
    return found


RARE_CHARS = _gbk_pipe_trail_chars()


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def _join(*parts: np.ndarray) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.char.add(out, part)
    return out


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surname = rng.choice(np.array(SURNAMES), n, p=_zipf_weights(len(SURNAMES), 1.0))
    given = np.array(GIVEN_CHARS + RARE_CHARS)
    weights = _zipf_weights(len(given), 0.9)
    first = rng.choice(given, n, p=weights)
    second = np.where(rng.random(n) < 0.55, rng.choice(given, n, p=weights), "")
    return _join(surname, first, second)


def company_names(rng: np.random.Generator, n: int, cities: np.ndarray) -> np.ndarray:
    stems = np.array(COMPANY_STEMS + RARE_CHARS[:4])
    names = _join(cities, rng.choice(stems, n), rng.choice(stems, n),
                  rng.choice(np.array(COMPANY_TRADES), n), np.full(n, "有限公司"))
    # Some registered names carry punctuation that CSV writers must quote.
    quoted = rng.random(n) < 0.05
    names[quoted] = np.char.add(names[quoted], '（"集团",分公司）')
    return names


def addresses(rng: np.random.Generator, cities: np.ndarray) -> np.ndarray:
    n = len(cities)
    number = rng.integers(1, 999, n).astype(str)
    return _join(cities, rng.choice(np.array(DISTRICTS), n), rng.choice(np.array(STREETS), n),
                 number, np.full(n, "号"))
