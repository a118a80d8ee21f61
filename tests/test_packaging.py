"""The wheel ships the configs and tools inside the package (uda_toolbox/.mim, as mmseg ships its
own) and declares the console scripts; from the unpacked wheel, in another directory, a config is
found by its repository path and uda-train runs tools/train.py. Nothing is installed: the wheel is
built from a copy of the tracked files and unpacked into a temporary directory."""
import configparser
import subprocess
import sys
import zipfile

REPO_FILES = ('setup.py', 'MANIFEST.in', 'README.md', 'requirements.txt', 'uda_toolbox', 'configs',
              'tools')


def test_wheel_ships_configs_tools_and_entry_points(repo_root, tmp_path):
    source, dist = tmp_path / 'source', tmp_path / 'dist'
    tracked = subprocess.run(['git', 'ls-files', '-z', *REPO_FILES], cwd=repo_root, check=True,
                             capture_output=True).stdout.decode().split('\0')
    for name in filter(None, tracked):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((repo_root / name).read_bytes())
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(source), '--no-deps',
                    '--no-build-isolation', '-q', '-w', str(dist)], check=True, capture_output=True)
    (wheel,) = dist.glob('uda_toolbox-*.whl')
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(next(n for n in names if n.endswith('entry_points.txt')))
        archive.extractall(tmp_path / 'site')
    configs = {n for n in names if n.startswith('uda_toolbox/.mim/configs/')}
    assert {'uda_toolbox/.mim/configs/vat/viper2cityscapes.py',
            'uda_toolbox/.mim/configs/_base_/default_runtime.py',
            'uda_toolbox/.mim/configs/benchmarks/synthetic_table1.py'} <= configs
    tracked_configs = {n for n in tracked if n.startswith('configs/')}
    assert len(configs) == len(tracked_configs)  # every config, nothing else
    assert {'uda_toolbox/.mim/tools/train.py', 'uda_toolbox/.mim/tools/test.py',
            'uda_toolbox/.mim/tools/benchmark.py'} <= names
    assert 'uda_toolbox/datasets/splits/cityscapes_seq/val.txt' in names
    parser = configparser.ConfigParser()
    parser.read_string(entry_points.decode())
    assert dict(parser['console_scripts']) == {
        'uda-train': 'uda_toolbox.cli:train', 'uda-test': 'uda_toolbox.cli:test',
        'uda-benchmark': 'uda_toolbox.cli:benchmark', 'uda-check-ready': 'uda_toolbox.cli:check_ready'}

    # A pip user in an empty directory: the shipped config is found, with its _base_ files.
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    code = ('import sys; sys.path.insert(0, sys.argv[1]); '
            'from uda_toolbox.apis import find_config, load_config; '
            "path = find_config('configs/vat/viper2cityscapes.py'); print(path); "
            'print(load_config(path).model.type); '
            "from uda_toolbox.cli import train; sys.argv = ['uda-train', '--help']; train()")
    proc = subprocess.run([sys.executable, '-c', code, str(tmp_path / 'site')], cwd=elsewhere,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == str(tmp_path / 'site/uda_toolbox/.mim/configs/vat/viper2cityscapes.py')
    assert lines[1] == 'VAT'
    assert 'usage: uda-train' in proc.stdout and '--cfg-options' in proc.stdout
