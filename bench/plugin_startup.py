# Cold start with 20 installed and enabled plugins, warm compile cache.
# Needs: cargo build --release -p courtyard-host; a bundled dir with 20 plugins (see docs/benchmarks.md).
import subprocess, time, urllib.request, json, os, sys, statistics
BIN="/work/main/target/release/courtyard"
def start(data, port):
    env=dict(os.environ, COURTYARD_BUNDLED_PLUGINS_DIR="/tmp/b20", RUST_LOG="warn")
    t0=time.perf_counter()
    p=subprocess.Popen([BIN,"serve","--listen",f"127.0.0.1:{port}","--data-dir",data],env=env,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",timeout=0.2).read(); break
        except Exception: time.sleep(0.005)
    return p, time.perf_counter()-t0
def req(port, path, token=None, body=None, method=None):
    r=urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode() if body is not None else None, method=method or ("POST" if body is not None else "GET"))
    r.add_header("content-type","application/json")
    if token: r.add_header("authorization","Bearer "+token)
    return json.loads(urllib.request.urlopen(r).read() or b"null")
data="/tmp/b20data"
subprocess.run([BIN,"admin","bootstrap","--email","a@example.com","--data-dir",data],input=b"a long admin password\n",check=True,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
p,t=start(data,8484); print(f"first start (registers 20 bundled packages): {t*1000:.0f} ms")
tok=req(8484,"/api/v1/auth/login",body={"email":"a@example.com","password":"a long admin password"})["token"]
me=req(8484,"/api/v1/me",tok); org=me["org_id"]
g=req(8484,"/api/v1/groups",tok,{"kind":"team","name":"Bench"})["id"]
for i in range(1,21):
    pid=f"dice{i:02d}"
    req(8484,f"/api/v1/orgs/{org}/plugins",tok,{"plugin_id":pid})
    req(8484,f"/api/v1/groups/{g}/plugins/{pid}",tok,{},method="PUT")
t0=time.perf_counter(); req(8484,f"/api/v1/groups/{g}/commands",tok,{"text":"/roll 6"}); print(f"first command after install: {(time.perf_counter()-t0)*1000:.1f} ms")
p.terminate(); p.wait()
times=[]
for _ in range(5):
    p,t=start(data,8484); times.append(t)
    t0=time.perf_counter(); req(8484,f"/api/v1/groups/{g}/commands",tok,{"text":"/roll 6"}); first=(time.perf_counter()-t0)*1000
    p.terminate(); p.wait()
print(f"restart with 20 installed+enabled plugins, warm compile cache: median {statistics.median(times)*1000:.0f} ms to healthy (max {max(times)*1000:.0f}); first command after restart {first:.1f} ms")
