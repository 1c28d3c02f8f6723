"""compare_fields.py BUILTIN.tsv OURS.tsv FIELD...: each FIELD present (tshark -T fields -E quote=d,
first column frame.number) in a frame of BUILTIN.tsv must be present in that frame of OURS.tsv.
Prints what is missing; exits 1 if anything is."""
import sys

names = sys.argv[3:]


def frames(path):
    out = {n: set() for n in names}
    for line in open(path, encoding="utf-8", errors="replace"):
        cols = line.rstrip("\n").split("\t")
        for n, v in zip(names, cols[1:]):
            if v:  # quoted: a present field is never an empty column, even with an empty value
                out[n].add(int(cols[0].strip('"')))
    return out


b, o = frames(sys.argv[1]), frames(sys.argv[2])
bad = [f"{n}: frames {sorted(b[n] - o[n])[:8]}" for n in names if b[n] - o[n]]
print("; ".join(bad))
sys.exit(1 if bad else 0)
