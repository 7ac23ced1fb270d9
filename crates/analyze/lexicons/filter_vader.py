#!/usr/bin/env python3
"""Build lexicons/vader_lexicon.tsv from VADER's vader_lexicon.txt (vaderSentiment 3.3.2,
MIT) using TRAIN splits only: keep entries with |valence| >= 0.5 and drop every word that
is at least as frequent (share of texts containing it) in the non-English training texts as
in the English ones (German "die", "war", Italian "no", ...), because the feature pass runs
before language id and the valence cues must not fire on other languages.

usage: filter_vader.py VADER_LEXICON_TXT SHARED_DATA_DIR > vader_lexicon.tsv
"""
import csv, os, re, sys

lex_path, data = sys.argv[1], sys.argv[2]
tok = re.compile(r"\w+", re.UNICODE)


def words(t):
    return set(tok.findall(t.lower()))


def lines(p):
    with open(p, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def tsv_texts(p):
    with open(p, encoding="utf-8") as f:
        next(f)
        return [l.rstrip("\n").split("\t", 2)[-1] for l in f]


en, other = [], []
x = os.path.join(data, "xlm-t-sentiment")
for lang in ["arabic", "english", "french", "german", "hindi", "italian", "portuguese", "spanish"]:
    (en if lang == "english" else other).extend(lines(os.path.join(x, lang, "train_text.txt")))
en += lines(os.path.join(data, "tweeteval/offensive/train_text.txt"))
m = os.path.join(data, "mozetic-twitter-sentiment")
en += tsv_texts(os.path.join(m, "eng.tsv"))
for f in ["deu", "pol", "spa", "por"]:
    other += tsv_texts(os.path.join(m, f + ".tsv"))
for l in lines(os.path.join(data, "germeval2018-offensive/germeval2018.training.txt")):
    other.append(l.split("\t")[0])


def df(texts):
    c = {}
    for t in texts:
        for w in words(t):
            c[w] = c.get(w, 0) + 1
    return c, len(texts)


(ce, ne), (co, no) = df(en), df(other)
kept = dropped = 0
for line in lines(lex_path):
    parts = line.split("\t")
    if len(parts) < 2:
        continue
    w, v = parts[0], float(parts[1])
    if abs(v) < 0.5:
        continue
    if tok.fullmatch(w) and co.get(w, 0) / no >= ce.get(w, 0) / ne and co.get(w, 0) > 0:
        dropped += 1
        print("drop", w, file=sys.stderr)
        continue
    kept += 1
    print(f"{w}\t{v}")
print(f"kept {kept} dropped {dropped}", file=sys.stderr)
