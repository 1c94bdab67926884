"""twin animate: a window of a real run as an animated .glb. Khronos' validator finds no error
in it; three.js loads it in headless Chromium, finds it Y-up (the floor spans x and z, height
is y), with the named robot joints, and its frames differ over time; the keys follow the run
(a robot's root is where the replay puts it, its tote shows exactly while it carries)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import twin
from twin.cli import app

ROOT = Path(__file__).resolve().parents[2]
NPM = Path(sys.executable).parents[1] / "npm" / "node_modules"  # make gltf-tools puts it here
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
START, END = 6 * 3600 + 300.0, 6 * 3600 + 390.0  # Monday 06:05-06:06:30, robots at work


@pytest.fixture(scope="module")
def glb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("anim")
    line = twin.load_line(ROOT / "lines" / "tote_line.yaml")
    twin.simulate(line, hours=1, seed=3, events=True).write(tmp / "run")
    out = tmp / "window.glb"
    r = CliRunner().invoke(app, ["animate", str(tmp / "run"), "--glb", str(out), "--from",
                                 str(START), "--to", str(END), "--fps", "2"])
    assert r.exit_code == 0, r.stderr
    assert "181 keys" in r.stdout  # 90 s at 1 run second per animation second, 2 keys/s
    return out


def read_glb(path: Path) -> tuple[dict, bytes]:  # type: ignore[type-arg]
    data = path.read_bytes()
    magic, version, total = struct.unpack("<4sII", data[:12])
    assert (magic, version, total) == (b"glTF", 2, len(data))
    n = struct.unpack("<I", data[12:16])[0]
    doc = json.loads(data[20:20 + n])
    return doc, data[20 + n + 8:]


def accessor(doc: dict, binary: bytes, i: int) -> np.ndarray:  # type: ignore[type-arg]
    acc = doc["accessors"][i]
    view = doc["bufferViews"][acc["bufferView"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc["type"]]
    a = np.frombuffer(binary, np.float32, acc["count"] * width, view["byteOffset"])
    return a.reshape(acc["count"], width)


def channels(doc: dict) -> dict[tuple[int, str], dict]:  # type: ignore[type-arg]
    anim = doc["animations"][0]
    return {(c["target"]["node"], c["target"]["path"]): anim["samplers"][c["sampler"]]
            for c in anim["channels"]}


def test_keys_follow_the_run(glb: Path) -> None:
    from viewer.render import HOLDING
    from viewer.replay import Timeline
    from viewer.run import load_run

    doc, binary = read_glb(glb)
    timeline = Timeline(load_run(glb.parent / "run"))
    nodes = {n["name"]: i for i, n in enumerate(doc["nodes"])}
    keyed = channels(doc)
    for i, rid in enumerate(timeline.robots):
        move = keyed[(nodes[f"{rid} pelvis"], "translation")]
        t = accessor(doc, binary, move["input"])[:, 0]
        pos = accessor(doc, binary, move["output"])
        tote = accessor(doc, binary, keyed[(nodes[f"{rid} tote"], "scale")]["output"])
        assert t[0] == 0 and t[-1] == pytest.approx(END - START)
        for k in (0, 77, 180):
            snap = timeline.at(START + float(t[k]))
            x, y = snap.robot_xy[i]
            assert pos[k] == pytest.approx([x, 0.0, -y], abs=1e-4)  # Y-up: floor y is -z
            holding = snap.robot_units[i] > 0 or snap.robot_state[i] in HOLDING
            assert (tote[k] > 0).all() == holding and (tote[k] == 0).all() == (not holding)
    # some robot walked in the window: its thighs swung about the lateral axis (glTF z)
    swings = [np.ptp(accessor(doc, binary, keyed[(nodes[f"{r} left_hip_pitch"], "rotation")]
                              ["output"])[:, 2]) for r in timeline.robots]
    assert max(swings) > 0.1
    names = {m["name"] for m in doc["materials"]}
    assert {"robot leg_l", "robot tote", "station processing"} <= names


def test_physics_pose_table_drives_the_figure(glb: Path, tmp_path: Path) -> None:
    """A run with a pose table (as physics runs write): the recorded link frame, not the walk
    along the replay's path, poses the part it carries."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from twin.events import POSE_SCHEMA

    run = tmp_path / "run"
    shutil.copytree(glb.parent / "run", run)
    t = np.arange(START - 5, END + 5, 0.1)
    yaw = np.radians(30.0)
    rows = {"t": t, "robot": ["robot1"] * len(t), "link": ["pelvis"] * len(t),
            "x": np.full(len(t), 10.0), "y": np.full(len(t), 5.0), "z": np.full(len(t), 0.95),
            "qx": np.zeros(len(t)), "qy": np.zeros(len(t)), "qz": np.full(len(t), np.sin(yaw / 2)),
            "qw": np.full(len(t), np.cos(yaw / 2))}
    pq.write_table(pa.table(rows).cast(POSE_SCHEMA), run / "poses.parquet")
    out = tmp_path / "physics.glb"
    r = CliRunner().invoke(app, ["animate", str(run), "--glb", str(out), "--from", str(START),
                                 "--to", str(START + 20), "--fps", "1"])
    assert r.exit_code == 0, r.stderr
    doc, binary = read_glb(out)
    nodes = {n["name"]: i for i, n in enumerate(doc["nodes"])}
    keyed = channels(doc)
    pelvis = nodes["robot1 pelvis"]
    pos = accessor(doc, binary, keyed[(pelvis, "translation")]["output"])
    rot = accessor(doc, binary, keyed[(pelvis, "rotation")]["output"])
    # the pelvis link's frame sits 0.95 m up at rest: the part's origin is the floor below it
    assert pos == pytest.approx(np.tile([10.0, 0.0, -5.0], (len(pos), 1)), abs=1e-4)
    turn = [0.0, np.sin(yaw / 2), 0.0, np.cos(yaw / 2)]  # 30 deg about the vertical, Y-up
    assert rot == pytest.approx(np.tile(turn, (len(rot), 1)), abs=1e-4)


@pytest.mark.skipif(not (NPM / "gltf-validator").is_dir(), reason="make gltf-tools (npm)")
def test_khronos_validator_finds_no_error(glb: Path) -> None:
    script = ("const v = require('gltf-validator'); const fs = require('fs');"
              "v.validateBytes(new Uint8Array(fs.readFileSync(process.argv[1])))"
              ".then(r => console.log(JSON.stringify(r.issues)));")
    out = subprocess.run(["node", "-e", script, str(glb)], capture_output=True, text=True,
                         cwd=NPM.parent, timeout=120, check=True)
    issues = json.loads(out.stdout)
    assert issues["numErrors"] == 0, issues["messages"][:5]
    assert issues["numWarnings"] == 0, issues["messages"][:5]


PAGE = """<!doctype html><html><body><pre id="out">pending</pre>
<script type="importmap">{"imports": {"three": "./three/build/three.module.js",
 "three/addons/": "./three/examples/jsm/"}}</script>
<script type="module">
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
const out = document.getElementById('out');
try {
  const W = 480, H = 300;
  const renderer = new THREE.WebGLRenderer({preserveDrawingBuffer: true});
  renderer.setSize(W, H);
  const gltf = await new GLTFLoader().loadAsync('window.glb');
  const scene = new THREE.Scene();
  scene.add(new THREE.AmbientLight(0xffffff, 1.0));
  scene.add(gltf.scene);
  const box = new THREE.Box3().setFromObject(gltf.scene);
  const size = box.getSize(new THREE.Vector3()), c = box.getCenter(new THREE.Vector3());
  const camera = new THREE.PerspectiveCamera(40, W / H, 0.1, 1000);
  camera.position.set(c.x, c.y + size.x * 0.8, c.z + size.z * 0.8);
  camera.lookAt(c);
  const mixer = new THREE.AnimationMixer(gltf.scene);
  const clip = gltf.animations[0];
  mixer.clipAction(clip).play();
  const gl = renderer.getContext();
  const frame = (t) => {
    mixer.setTime(t); renderer.render(scene, camera);
    const px = new Uint8Array(W * H * 4);
    gl.readPixels(0, 0, W, H, gl.RGBA, gl.UNSIGNED_BYTE, px);
    return px;
  };
  const diff = (a, b) => { let n = 0; for (let i = 0; i < a.length; i += 4)
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++; return n; };
  const f0 = frame(0), f1 = frame(clip.duration / 2), f2 = frame(clip.duration / 2);
  let lit = 0; for (let i = 0; i < f0.length; i += 4) if (f0[i] + f0[i + 1] + f0[i + 2]) lit++;
  const names = []; gltf.scene.traverse(o => names.push(o.name));
  out.textContent = JSON.stringify({ok: true, duration: clip.duration, size: size.toArray(),
    moved: diff(f0, f1), again: diff(f1, f2), lit, pixels: W * H, names});
} catch (e) { out.textContent = JSON.stringify({ok: false, error: String(e)}); }
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None or not (NPM / "three").is_dir(),
                    reason="needs chromium and three.js (make system-deps gltf-tools)")
def test_plays_in_headless_chromium(glb: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "three").symlink_to(NPM / "three")
    shutil.copy(glb, site / "window.glb")
    (site / "index.html").write_text(PAGE)
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        dom = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--use-angle=swiftshader",
             "--enable-unsafe-swiftshader", "--virtual-time-budget=60000", "--dump-dom", url],
            capture_output=True, text=True, timeout=180).stdout
    finally:
        server.shutdown()
    text = dom[dom.index('<pre id="out">') + 14:dom.index("</pre>")]
    result = json.loads(text.replace("&quot;", '"').replace("&amp;", "&"))
    assert result["ok"], result
    assert result["duration"] == pytest.approx(END - START)
    sx, sy, sz = result["size"]
    assert sy < 3 < min(sx, sz)  # Y-up: the floor lies in x-z, the tallest thing is ~2.2 m
    assert result["lit"] > result["pixels"] / 10  # the scene is in view
    assert result["moved"] > 0 and result["again"] == 0  # time moves it; a time is one frame
    assert "robot1_left_hip_pitch" in result["names"]  # three.js writes spaces as _
