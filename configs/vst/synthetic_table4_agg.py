# Seed Table 4 row "+Aggregated prediction": clip-adaptive labels on temporally aggregated
# predictions (Eq. 10). docs/methods/vst.md
_base_ = ['./synthetic.py']
model = dict(refine='none', lambda_reg=0.0)
# The pseudo-label hook of the base config: clip-adaptive labels on aggregated predictions.
