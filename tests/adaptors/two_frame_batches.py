"""In-memory clip batches with flow for the two-frame adaptors (DA-VSN, TPS)."""
import torch

PALETTE = torch.tensor([[220, 40, 40], [40, 200, 60], [50, 60, 210], [200, 200, 40]])


def make_two_frame_batch(source_frames=2, target_frames=2, n=2, h=32, w=64, seed=0):
    """``{'source': clips, 'target': clips}`` as ``pseudo_collate`` gives them: colour blobs per
    class moving one pixel to the right per frame, and their exact t -> t-1 flow (dx = -1)."""
    g = torch.Generator().manual_seed(seed)

    def clips(t, labelled, shift):
        coarse = torch.randint(0, len(PALETTE), (n, h // 8, w // 8 + t), generator=g)
        labels = coarse.repeat_interleave(8, dim=1).repeat_interleave(8, dim=2)
        # frame k shows the scene shifted right by k px: I_k(p) = I_{k-1}(p - 1), flow dx = -1
        seq = torch.stack([labels[:, :, t - k:t - k + w] for k in range(t)], dim=1)
        colours = (PALETTE[seq] + shift).float() + torch.randn(n, t, h, w, 3, generator=g) * 20
        frames = colours.clamp(0, 255).to(torch.uint8).permute(0, 1, 4, 2, 3)
        gt = seq.to(torch.uint8) if labelled else torch.full_like(seq, 255, dtype=torch.uint8)
        flows = torch.zeros(n, t - 1, 2, h, w)
        flows[:, :, 0] = -1.0
        return dict(inputs=list(frames), gt_seg=list(gt), flows=list(flows),
                    meta=dict(clip_id=['000'] * n, frame_ids=[list(range(t))] * n))

    return dict(source=clips(source_frames, True, 0), target=clips(target_frames, False, -30))
