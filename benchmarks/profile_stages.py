"""Where the CPU goes on the files that pass the text triage: ast.parse, libcst parse, the rest.

python benchmarks/profile_stages.py CORPUS   (run with the ftlint to measure first on PYTHONPATH)
"""
import sys, time, ast, collections
from pathlib import Path
sys.setrecursionlimit(10000)
from ftlint.catalog import RULES
from ftlint.sources import read_source
from ftlint.engine import triaged, analyze
import ftlint.engine as E
import libcst as cst
T = collections.Counter()
orig_parse = cst.parse_module
def timed_parse(text):
    t0=time.process_time(); m=orig_parse(text); T['cst_parse']+=time.process_time()-t0; return m
E.cst.parse_module = timed_parse
orig_pse = E._python_syntax_error
def timed_pse(s):
    t0=time.process_time(); r=orig_pse(s); T['ast_parse']+=time.process_time()-t0; return r
E._python_syntax_error = timed_pse
work=[]
for p in sorted(Path(sys.argv[1]).rglob("*.py")):
    s = read_source(p, str(p)); r = triaged(s, RULES)
    if r: work.append((s,r))
t0=time.process_time()
for s,r in work:
    a=analyze(s,r)
    if not isinstance(a, list) and hasattr(a,'diagnostics'): a.diagnostics({x.code for x in r})
T['analyze_total']=time.process_time()-t0
print({k: round(v,2) for k,v in T.items()})
