"""Install uda_toolbox. Use tools/setup_env.sh (or `make env`): torch and mmcv need a set order."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


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
    python_requires='>=3.9',
    install_requires=read_requirements(),
    license='Apache-2.0',
)
