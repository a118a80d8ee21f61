"""Install uda_toolbox. Use tools/setup_env.sh (or `make env`): torch and mmcv need a set order."""
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
# Shipped inside the package as mmseg ships its own (mmseg/.mim): a pip user names
# configs/vat/viper2cityscapes.py from any directory (uda_toolbox.apis.find_config) and the console
# scripts below run the tools. An editable install reads them from the repository instead.
SHIPPED = ('configs', 'tools')


class BuildWithConfigs(build_py):
    """build_py that also copies configs/ and tools/ into uda_toolbox/.mim of the build."""

    def run(self):
        super().run()
        for name in SHIPPED:
            target = Path(self.build_lib) / 'uda_toolbox' / '.mim' / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(HERE / name, target,
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


def read_requirements(path: Path = HERE / 'requirements.txt'):
    """Runtime requirements: every non-comment line of requirements.txt."""
    lines = (line.split('#')[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith('-')]


setup(
    name='uda_toolbox',
    version='0.1.0',
    description='Unsupervised domain adaptation for image and video semantic segmentation '
                '(mmsegmentation 1.x)',
    long_description=(HERE / 'README.md').read_text() if (HERE / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['uda_toolbox', 'uda_toolbox.*']),
    # The Cityscapes-Seq benchmarks' split lists (uda_toolbox/datasets/splits/README.md).
    package_data={'uda_toolbox': ['datasets/splits/*/*.txt', 'datasets/splits/README.md',
                                  'datasets/splits/LICENSE-DA-VSN']},
    cmdclass={'build_py': BuildWithConfigs},
    # The tools' own main()s (uda_toolbox/cli.py): uda-train CONFIG = python tools/train.py CONFIG.
    entry_points={'console_scripts': [
        'uda-train = uda_toolbox.cli:train',
        'uda-test = uda_toolbox.cli:test',
        'uda-benchmark = uda_toolbox.cli:benchmark',
        'uda-check-ready = uda_toolbox.cli:check_ready',
    ]},
    python_requires='>=3.9',
    install_requires=read_requirements(),
    license='Apache-2.0',
)
