# For each rule (a catalogue.REGnnnn code), disable the condition that
# raises it ("if C {" -> "if false && (C) {", "case C:" -> "case false && (C):")
# and run the scenario tests: a rule whose disabling passes is untested.
import glob, os, re, subprocess
PKG = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ROOT = os.path.abspath(os.path.join(PKG, '..', '..'))
files = [f for f in glob.glob(os.path.join(PKG, '*.go')) if not f.endswith('_test.go')]
pat = re.compile(r'catalogue\.(REG\d{4})')
survived, killed, skipped = [], 0, []
seen = set()
for f in files:
    src = open(f).read()
    lines = src.split('\n')
    for i, l in enumerate(lines):
        m = pat.search(l)
        if not m or l.strip().startswith('//'):
            continue
        # nearest if/case above (including this line)
        for j in range(i, max(i-4, -1), -1):
            t = lines[j].strip()
            if (t.startswith('if ') and t.endswith('{')) or (t.startswith('case ') and t.endswith(':')) or t.startswith('} else if '):
                break
        else:
            skipped.append(f"{f.split('/')[-1]}:{i+1} {m.group(1)}")
            continue
        if (f, j) in seen:
            continue
        seen.add((f, j))
        t = lines[j]
        if t.strip().startswith('} else if ') and '; ' in t:
            k = t.index('; ') + 2
            new = t[:k] + 'false && (' + t[k:-2] + ') {'
        elif t.strip().startswith('} else if '):
            k = t.index('} else if ') + len('} else if ')
            new = t[:k] + 'false && (' + t[k:-2] + ') {'
        elif t.strip().startswith('case catalogue.'):
            new = t[:t.index('case ')+5] + '"never":'
        elif t.strip().startswith('if ') and '; ' in t:
            k = t.index('; ') + 2
            new = t[:k] + 'false && (' + t[k:-2] + ') {'
        elif t.strip().startswith('if '):
            k = t.index('if ') + 3
            new = t[:k] + 'false && (' + t[k:-2] + ') {'
        else:
            k = t.index('case ') + 5
            new = t[:k] + 'false && (' + t[k:-1] + '):'
        mutated = lines[:j] + [new] + lines[j+1:]
        open(f, 'w').write('\n'.join(mutated))
        try:
            r = subprocess.run(['go', 'test', './internal/regs', '-run', 'TestScenarios', '-count=1'], cwd=ROOT, capture_output=True, text=True)
        finally:
            open(f, 'w').write(src)
        tag = f"{f.split('/')[-1]}:{j+1} {m.group(1)}: {t.strip()}"
        if r.returncode == 0:
            survived.append(tag)
        elif 'build failed' in r.stdout + r.stderr or '[build failed]' in r.stdout:
            skipped.append(tag + " (does not compile)")
        else:
            killed += 1
print("killed", killed, "survived", len(survived), "skipped", len(skipped))
for s in survived: print("  SURVIVED", s)
for s in skipped: print("  SKIPPED", s)
