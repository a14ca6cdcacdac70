"""PLLaVA modeling against independent references: hand-written pooling, hand-built features, plain LLaVA."""

import pytest
import torch
import torch.nn.functional as F
from transformers import LlavaConfig, LlavaForConditionalGeneration

from swift_video_ext.models.pllava import PllavaConfig, PllavaForConditionalGeneration
from swift_video_ext.models.pllava.modeling_pllava import adaptive_avg_pool_3d

VISION = {'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4,
          'image_size': 56, 'patch_size': 14}
TEXT = {'vocab_size': 96, 'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 2,
        'num_attention_heads': 4, 'num_key_value_heads': 2, 'pad_token_id': 0}
IMAGE_TOKEN = 95


def reference_pool(x: torch.Tensor, out: tuple[int, int, int]) -> torch.Tensor:
    """Adaptive average pooling written out: bin i of n covers [floor(i·L/n), ceil((i+1)·L/n))."""
    sizes = x.shape[-3:]
    result = torch.empty(*x.shape[:-3], *out, dtype=x.dtype)
    bins = [[(i * size // n, -(-(i + 1) * size // n)) for i in range(n)] for size, n in zip(sizes, out, strict=True)]
    for i, (t0, t1) in enumerate(bins[0]):
        for j, (h0, h1) in enumerate(bins[1]):
            for k, (w0, w1) in enumerate(bins[2]):
                result[..., i, j, k] = x[..., t0:t1, h0:h1, w0:w1].mean(dim=(-3, -2, -1))
    return result


def make_model(num_frames=4, pooling_shape=(4, 2, 2), seed=0) -> PllavaForConditionalGeneration:
    torch.manual_seed(seed)
    config = PllavaConfig(vision_config=dict(VISION), text_config=dict(TEXT), image_token_index=IMAGE_TOKEN,
                          num_frames=num_frames, pooling_shape=list(pooling_shape))
    return PllavaForConditionalGeneration(config).eval()


def reference_features(model, pixel_values, counts) -> list[torch.Tensor]:
    cfg = model.config
    tower = model.model.vision_tower(pixel_values, output_hidden_states=True)
    hidden = tower.hidden_states[cfg.vision_feature_layer][:, 1:]
    projector = model.model.multi_modal_projector
    projected = projector.linear_2(F.gelu(projector.linear_1(hidden)))
    h = w = cfg.vision_config.image_size // cfg.vision_config.patch_size
    out = []
    for chunk in torch.split(projected, counts):
        t, n = chunk.shape[0], cfg.num_frames
        if t < n:  # the official projector's repeat (modeling_pllava.py PllavaMultiModalProjector.forward)
            chunk = chunk.repeat_interleave(n // t + 1, dim=0)[:n]
        grid = chunk.reshape(chunk.shape[0], h, w, -1).permute(3, 0, 1, 2)
        pooled = reference_pool(grid, tuple(cfg.pooling_shape))
        out.append(pooled.permute(1, 2, 3, 0).reshape(-1, pooled.shape[0]))
    return out


@pytest.mark.parametrize('shape,out', [((4, 4, 4), (4, 2, 2)), ((8, 4, 4), (2, 2, 2)), ((4, 4, 4), (3, 3, 3)),
                                       ((5, 7, 6), (2, 3, 4)), ((16, 24, 24), (16, 12, 12))])
def test_pooling_matches_hand_written_reference(shape, out):
    x = torch.randn(2, 3, *shape, dtype=torch.float64)
    torch.testing.assert_close(adaptive_avg_pool_3d(x, out), reference_pool(x, out))


def test_pooled_video_features_match_hand_built_reference():
    model = make_model(num_frames=4, pooling_shape=(2, 3, 3))  # non-divisible spatial bins
    pixel_values = torch.randn(7, 3, 56, 56)
    counts = torch.tensor([4, 3])  # a 4-frame video and a 3-frame clip (repeated to 4)
    with torch.no_grad():
        got = model.model.get_media_features(pixel_values, counts)
        want = reference_features(model, pixel_values, [4, 3])
    assert [g.shape for g in got] == [torch.Size([18, 64])] * 2
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-5)


def test_identity_pooling_equals_llava():
    pllava = make_model(num_frames=1, pooling_shape=(1, 4, 4))
    llava_config = LlavaConfig(vision_config=dict(VISION), text_config=dict(TEXT), image_token_index=IMAGE_TOKEN,
                               image_seq_length=16)
    llava = LlavaForConditionalGeneration(llava_config).eval()
    missing, unexpected = llava.load_state_dict(pllava.state_dict(), strict=True)
    assert not missing and not unexpected
    input_ids = torch.tensor([[1, 5, 6] + [IMAGE_TOKEN] * 16 + [7, 8], [2, 9] + [IMAGE_TOKEN] * 16 + [3, 4, 5]])
    pixel_values = torch.randn(2, 3, 56, 56)
    with torch.no_grad():
        a = pllava(input_ids=input_ids, pixel_values=pixel_values).logits
        b = llava(input_ids=input_ids, pixel_values=pixel_values).logits
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_still_image_is_repeated_to_num_frames():
    model = make_model()
    image = torch.randn(1, 3, 56, 56)
    with torch.no_grad():
        (as_image,) = model.model.get_media_features(image)
        (as_video,) = model.model.get_media_features(image.repeat(4, 1, 1, 1), torch.tensor([4]))
    torch.testing.assert_close(as_image, as_video, atol=1e-5, rtol=1e-5)


def test_short_clip_is_repeated_in_order():
    model = make_model()
    frames = torch.randn(2, 3, 56, 56)
    with torch.no_grad():
        (short,) = model.model.get_media_features(frames, torch.tensor([2]))
        (full,) = model.model.get_media_features(frames[[0, 0, 0, 1]], torch.tensor([4]))  # official: 0,0,0,1
    torch.testing.assert_close(short, full, atol=1e-5, rtol=1e-5)


def test_five_dim_video_input_equals_flat_frames():
    model = make_model()
    video = torch.randn(2, 4, 3, 56, 56)
    input_ids = torch.tensor([[1] + [IMAGE_TOKEN] * 16 + [2] + [IMAGE_TOKEN] * 16 + [3]])
    with torch.no_grad():
        a = model(input_ids=input_ids, pixel_values_videos=video).logits
        b = model(input_ids=input_ids, pixel_values=video.flatten(0, 1), frames_per_media=torch.tensor([4, 4])).logits
    torch.testing.assert_close(a, b)


def test_placeholder_count_mismatch_is_a_clear_error():
    model = make_model()
    input_ids = torch.tensor([[1] + [IMAGE_TOKEN] * 15 + [2]])  # one short
    with pytest.raises(Exception, match='Image features and image tokens do not match'):
        model(input_ids=input_ids, pixel_values=torch.randn(1, 3, 56, 56))


def test_frame_shape_mismatch_is_a_clear_error():
    torch.manual_seed(0)
    config = PllavaConfig(vision_config=dict(VISION), text_config=dict(TEXT), image_token_index=IMAGE_TOKEN,
                          num_frames=4, pooling_shape=[4, 2, 2], frame_shape=[3, 3])
    model = PllavaForConditionalGeneration(config)
    with pytest.raises(ValueError, match='16 patches per frame but frame_shape is 3x3'):
        model.model.get_media_features(torch.randn(1, 3, 56, 56))


def test_config_derives_frame_grid_and_token_count():
    config = PllavaConfig(vision_config=dict(VISION), text_config=dict(TEXT), pooling_shape=[4, 2, 2])
    assert config.frame_shape == [4, 4] and config.tokens_per_video == 16 and config.image_seq_length == 16
    with pytest.raises(ValueError, match='three positive ints'):
        PllavaConfig(vision_config=dict(VISION), text_config=dict(TEXT), pooling_shape=[4, 2])


def test_cached_generation_equals_uncached():
    model = make_model()
    input_ids = torch.tensor([[1, 5] + [IMAGE_TOKEN] * 16 + [7, 8]])
    inputs = {'input_ids': input_ids, 'pixel_values': torch.randn(4, 3, 56, 56),
              'frames_per_media': torch.tensor([4])}
    cached = model.generate(**inputs, max_new_tokens=6, do_sample=False, use_cache=True)
    uncached = model.generate(**inputs, max_new_tokens=6, do_sample=False, use_cache=False)
    assert cached.tolist() == uncached.tolist()


def test_bfloat16_forward_on_cpu():
    model = make_model().to(torch.bfloat16)
    input_ids = torch.tensor([[1] + [IMAGE_TOKEN] * 16 + [2]])
    logits = model(input_ids=input_ids, pixel_values=torch.randn(1, 3, 56, 56, dtype=torch.bfloat16)).logits
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits.float()).all()


def tokens_from_grid(grid: torch.Tensor) -> torch.Tensor:
    """(D, T, H, W) → (T·H·W, D), written out: token ``(t·H + i)·W + j`` is cell (t, i, j) (frame-major, row-major,
    the official projector's ``num_frames (h w)`` order)."""
    _, t, h, w = grid.shape
    return torch.stack([grid[:, a, i, j] for a in range(t) for i in range(h) for j in range(w)])


@pytest.mark.parametrize('frames,frame_shape', [
    (8, (15, 15)),  # every size divides (4, 3, 5), and (4, 5, 3) too: the reshape-mean path
    (6, (16, 16)),  # nothing divides: F.adaptive_avg_pool3d
    (8, (6, 10)),  # a non-square frame grid that divides
    (7, (7, 11)),  # a non-square frame grid that does not
])
def test_non_square_pooling_shape_pools_height_and_width_in_place(frames, frame_shape):
    """``pooling_shape`` (T', h', w') = (4, 3, 5): 3 rows by 5 columns, as the official ``nn.AdaptiveAvgPool3d`` on
    (D, T, h, w) gives (magic-research/PLLaVA models/pllava/modeling_pllava.py, PllavaMultiModalProjector)."""
    pooling_shape = (4, 3, 5)
    torch.manual_seed(0)
    config = PllavaConfig(vision_config=dict(VISION), text_config=dict(TEXT), image_token_index=IMAGE_TOKEN,
                          num_frames=frames, pooling_shape=list(pooling_shape), frame_shape=list(frame_shape))
    model = PllavaForConditionalGeneration(config).eval()
    h, w = frame_shape
    grid = torch.randn(8, frames, h, w)  # (D, T, h, w)
    features = torch.stack([torch.stack([grid[:, t, i, j] for i in range(h) for j in range(w)])
                            for t in range(frames)])  # (T, h·w, D), patch i·w + j
    want = tokens_from_grid(F.adaptive_avg_pool3d(grid[None], pooling_shape)[0])
    with torch.no_grad():
        got = model.model.pool_video(features)
    assert got.shape == (4 * 3 * 5, 8)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)
