# For each occurrence of catalogue.REGnnnn in the regs package's non-test
# code, replace it with an unused code and run the scenario tests: a
# mutation that passes is a rule path no test checks.
import glob, os, re, subprocess
PKG = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ROOT = os.path.abspath(os.path.join(PKG, '..', '..'))
files = [f for f in glob.glob(os.path.join(PKG, '*.go')) if not f.endswith('_test.go')]
pat = re.compile(r'catalogue\.(REG\d{4})')
survived, killed = [], 0
for f in files:
    src = open(f).read()
    for m in pat.finditer(src):
        line = src.count('\n', 0, m.start()) + 1
        linetext = src.splitlines()[line-1].strip()
        if linetext.startswith('//'):
            continue
        mutated = src[:m.start()] + 'catalogue.REG1108' + src[m.end():]
        open(f, 'w').write(mutated)
        try:
            r = subprocess.run(['go', 'test', './internal/regs', '-run', 'TestScenarios', '-count=1'], cwd=ROOT, capture_output=True, text=True)
        finally:
            open(f, 'w').write(src)
        if r.returncode == 0:
            survived.append(f"{f.split('/')[-1]}:{line} {m.group(1)}: {linetext}")
        else:
            killed += 1
print("killed", killed, "survived", len(survived))
for s in survived:
    print("  SURVIVED", s)
