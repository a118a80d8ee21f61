"""Scene parameters of generator version 2: version 1's street (same classes, camera, canvas) with
the differences between a simulator and a real driving camera that version 1 lacks.

Every factor is again a pair (source value, target value at shift 1), interpolated by
``resolve_factors`` at the pair's ``style_shift`` (appearance, camera) or ``layout_shift`` (what is
where and how it moves). The source end of every new factor is version 1's behaviour (no sensor
effects, constant ego-motion, flat materials), so the source domain stays a clean simulator. Design
and the reasons for each factor: docs/data.md, "Embedded pair v2".
"""

from typing import Dict, Tuple

from uda_toolbox.data_prep.synthetic.v1.params import (  # noqa: F401 (re-exported)
    BUILDING,
    CAR,
    POLE,
    RENDERED_CLASSES,
    ROAD,
    SIDEWALK,
    SIGN,
    SKY,
    TERRAIN,
    VEGETATION,
    resolve_factors,
)

# Appearance and camera (style_shift). The first block has version 1's meaning; the global grade
# (hue, saturation, gamma) is milder than version 1's, so that less of the gap is a shift of the
# colour statistics that re-estimating BatchNorm would undo.
STYLE_FACTORS: Dict[str, Tuple[float, float]] = dict(
    hue_rotation=(0.0, 0.02),
    saturation=(1.0, 0.9),
    car_saturation_min=(0.45, 0.0),
    car_saturation_max=(0.9, 0.15),
    clothes_saturation_max=(1.0, 0.35),
    texture_amplitude=(0.02, 0.08),  # version 1's world noise; the per-class materials add more
    texture_scale=(12.0, 4.0),
    brightness_min=(0.95, 0.85),
    brightness_max=(1.05, 1.10),
    warm_cast=(0.0, 0.05),
    vertical_gradient=(0.0, 0.2),
    vignette=(0.0, 0.3),
    gamma=(1.0, 1.1),
    blur_sigma=(0.0, 0.3),  # px, optics (motion blur comes on top)
    noise_sigma=(0.0, 0.04),  # of full scale, Gaussian, new every frame
    # Per-class materials: 0 = every class has its source material, 1 = its target material.
    material=(0.0, 1.0),
    # Lighting: cast shadows of the facades on the ground and one darker side of the street.
    shadow=(0.0, 0.5),  # largest darkening of a shadowed surface
    # Auto-exposure and white balance: a bounded random walk of the log gain plus flicker, and
    # lighting changes (driving into or out of a shadow) that the auto-exposure corrects only over
    # a few frames, leaving under- or over-exposed frames in between.
    exposure_step=(0.0, 0.08),  # largest |change| of the log exposure from one frame to the next
    exposure_range=(0.0, 0.5),  # bound of |log exposure|
    flicker=(0.0, 0.06),  # per-frame log gain, uniform in +-flicker (lights, rolling shutter)
    white_balance_step=(0.0, 0.02),  # per-frame change of the log gain of blue and red
    white_balance_range=(0.0, 0.12),
    light_change_rate=(0.0, 0.5),  # chance per frame of a sudden lighting change
    light_change_size=(0.0, 1.2),  # its largest |log gain| before the auto-exposure corrects it
    shutter=(0.0, 0.9),  # fraction of the frame interval the shutter is open (motion blur)
    jpeg_quality_min=(100.0, 20.0),  # per-frame compression; 100 at both ends = not compressed
    jpeg_quality_max=(100.0, 70.0),
    # A randomised simulator: per-clip colour randomisation (RANDOM_* below) of the source; 1 = the
    # full ranges, 0 = none. The source randomises, the real target does not.
    randomisation=(1.0, 0.0),
)

# Ranges of the per-clip randomisation at randomisation = 1: hue offset (turns), relative
# brightness and saturation change, and the extra multiple of each material's colour jitter.
RANDOM_HUE = 0.15
RANDOM_VALUE = 0.4
RANDOM_SATURATION = 0.5
RANDOM_JITTER = 4.0

# Layout and motion (layout_shift). The first block has version 1's meaning.
LAYOUT_FACTORS: Dict[str, Tuple[float, float]] = dict(
    horizon=(0.46, 0.38),
    road_width=(0.75, 1.0),
    sidewalk_ratio=(0.45, 0.30),
    cars_mean=(1.5, 5.0),
    car_scale_min=(0.45, 0.15),
    car_scale_max=(1.0, 0.8),
    car_width_scale=(1.0, 0.9),
    car_speed=(0.015, 0.03),
    persons_mean=(1.0, 4.0),
    poles_mean=(2.5, 5.0),
    trees_mean=(3.0, 2.0),
    building_length_min=(10.0, 6.0),
    building_length_max=(28.0, 18.0),
    building_height_min=(0.5, 0.9),
    building_height_max=(1.1, 1.8),
    # Object shapes and proportions.
    car_height_min=(1.35, 1.55),  # m: sedans in the source, vans and SUVs in the target
    car_height_max=(1.65, 2.2),
    car_body_ratio=(0.58, 0.68),  # share of the height below the windows (boxier bodies)
    person_height_min=(1.55, 1.6),
    person_height_max=(1.9, 2.0),
    person_girth=(1.0, 0.7),  # torso and arm width
    person_speed=(0.6, 1.3),  # fastest walk, frame-0 px/frame
    tall_tree=(0.0, 0.85),  # probability of a narrow conifer-like tree instead of a round one
    pole_min_px=(2.2, 0.8),  # thinnest pole (px): below 1 px poles appear and vanish
    sign_min_px=(3.2, 2.0),  # smallest sign plate (px)
    # Ego-motion: speed changes (accelerating, braking) and turns on top of version 1's constant
    # forward zoom and pan.
    ego_rate=(0.024, 0.045),  # largest forward zoom rate per frame
    ego_total=(2.0, 3.0),  # largest zoom over a clip
    speed_variation=(0.0, 0.9),  # relative change of the zoom rate over the clip
    pan_max=(0.8, 1.0),  # constant part of the sideways pan, px/frame
    turn=(0.0, 1.2),  # varying part of the pan velocity (a turn), px/frame
    lane_change=(0.0, 0.5),  # probability that a moving car changes lane during the clip
)

# Material colours, RGB in [0, 1]: (source, target at style_shift = 1). Unlike version 1 the
# target is not a desaturated copy of the source: some classes trade brightness order (a light
# concrete road beside dark brick sidewalks, dark trees, bright glass windows), so a colour
# re-normalisation does not map one domain's classes onto the other's.
PALETTE: Dict[str, Tuple[Tuple[float, float, float], Tuple[float, float, float]]] = dict(
    sky=((0.30, 0.60, 1.00), (0.80, 0.82, 0.85)),
    sky_horizon=((0.65, 0.85, 1.00), (0.91, 0.91, 0.89)),
    road=((0.25, 0.25, 0.30), (0.55, 0.54, 0.52)),
    lane=((1.00, 1.00, 1.00), (0.90, 0.78, 0.30)),
    sidewalk=((1.00, 0.45, 0.80), (0.46, 0.31, 0.27)),
    terrain=((0.55, 1.00, 0.30), (0.55, 0.48, 0.32)),
    window=((0.10, 0.80, 1.00), (0.72, 0.78, 0.84)),
    vegetation=((0.05, 0.85, 0.10), (0.16, 0.24, 0.12)),
    trunk=((0.60, 0.30, 0.05), (0.22, 0.20, 0.18)),
    pole=((1.00, 0.90, 0.00), (0.24, 0.25, 0.27)),
    lamp=((1.00, 1.00, 0.60), (0.85, 0.85, 0.80)),
    skin=((1.00, 0.75, 0.55), (0.62, 0.48, 0.40)),
    glass=((0.45, 0.85, 1.00), (0.10, 0.11, 0.13)),
    wheel=((0.05, 0.05, 0.05), (0.06, 0.06, 0.06)),
    tail_lamp=((1.00, 0.10, 0.10), (0.60, 0.10, 0.10)),
    plate=((1.00, 1.00, 1.00), (0.80, 0.80, 0.76)),
)
BUILDING_PALETTE = (
    ((1.00, 0.55, 0.10), (0.62, 0.61, 0.58)),  # concrete
    ((0.95, 0.25, 0.20), (0.40, 0.47, 0.55)),  # blue-grey glass facade
    ((1.00, 0.85, 0.20), (0.55, 0.33, 0.26)),  # brick (close to the target sidewalk)
    ((0.60, 0.30, 0.90), (0.30, 0.30, 0.31)),  # dark stone
)
SIGN_PALETTE = (
    ((1.00, 0.05, 0.05), (0.70, 0.20, 0.18)),
    ((0.00, 0.30, 1.00), (0.20, 0.30, 0.55)),
    ((1.00, 1.00, 0.00), (0.75, 0.70, 0.25)),
)

# Per-class material pattern (name, amplitude) in each domain; ``materials.py`` draws the patterns.
# The source keeps a simulator's flat surfaces except paving tiles on the sidewalk; the target
# trades them: a patched, grainy road, plain fine-grained sidewalks, facade panels, leafy foliage.
MATERIALS: Dict[int, Tuple[Tuple[str, float], Tuple[str, float]]] = {
    ROAD: (('flat', 0.0), ('asphalt', 0.30)),
    SIDEWALK: (('tiles', 0.30), ('grain', 0.10)),
    BUILDING: (('flat', 0.0), ('panels', 0.25)),
    VEGETATION: (('blobs', 0.10), ('leaves', 0.40)),
    TERRAIN: (('grain', 0.15), ('blobs', 0.30)),
    SKY: (('flat', 0.0), ('blobs', 0.06)),
}
