"""Sparse frame sampling speed: ``sample_video`` vs a full sequential decode, decord and ms-swift's loaders.

Clips: synthesised long clips — 5 min 720p and 10 min 480p at 30 fps, a keyframe every 8 s, 2 B-frames, moving
texture so decoding costs like real footage (written once to ``bench_output/clips``) — and the short real clips in
``../shared/videos`` when present. For N = 16 and 32 uniformly spaced frames, each method's best-of-R wall time:

- ``ours``: ``sample_video(path, 'uniform', num_frames=N)`` (PyAV: packet probe, keyframe seeks, non-reference frames
  skipped with slice threading on B-frame streams, RGB conversion of the targets only, on a second thread);
- ``full_decode``: decoding every frame (no RGB conversion), the faster of frame and slice threading;
- ``full_decode_rgb`` (short clips): decoding every frame and converting the N returned ones to RGB — the floor of any
  loader when a clip is one GOP (the N conversions are part of the output);
- ``swift_llava``: ms-swift's ``load_video_llava`` (PyAV, sequential decode to the last index — the path transformers
  and LLaMA-Factory also use);
- ``decord``: ``VideoReader.get_batch``; ``swift_internvl``: ms-swift's ``load_video_internvl`` (decord);
  ``swift_cogvlm2``: ms-swift's ``load_video_cogvlm2`` (decord, first 60 s); ``torchcodec`` when installed;
- peers at our indices, each in its exact and its fastest mode (see :func:`peer_methods`): torchcodec and decord2
  (or decord), when installed; ``peer_identical_to_full_decode`` says whose frames equal a full decode.

Every run checks that our frames equal a full sequential decode at our indices, and reports the physical limit of
exact sparse decoding: the frames any exact decoder must decode (the targets, and the reference frames from each
target's keyframe up to it), as ``exact_decoding_speedup_bound`` = all frames / those. Targets:
short clips ≤ 1.05 x ``full_decode_rgb``; long clips ≥ 5 x faster than ``swift_llava`` and ≤ 1.2 x the fastest
seek-capable library.
    python benchmarks/sampling.py [--repeats 3] [--clips full|quick|smoke] [--frames 16 32]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import write_textured_clip  # noqa: E402
from report import machine, write_report  # noqa: E402

OUT = ROOT / 'bench_output'
SHARED = ROOT.parent / 'shared' / 'videos'


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


THREAD_TYPES = ('AUTO', 'SLICE')  # the baselines take the faster of FFmpeg's frame and slice threading


def full_decode(path: Path, thread_type: str) -> int:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = thread_type
        return sum(1 for _ in container.decode(stream))


def full_decode_rgb(path: Path, n: int, thread_type: str) -> int:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = thread_type
        total = stream.frames
        wanted = set(np.round(np.linspace(0, total - 1, n)).astype(int).tolist()) if total else set()
        return sum(frame.to_ndarray(format='rgb24').size > 0 for position, frame in
                   enumerate(container.decode(stream)) if position in wanted)


@functools.cache
def reference_positions(path: Path) -> frozenset[int]:
    """Positions (in a full decode) of the frames other frames may reference: what a NONREF-skipping decode emits."""
    import av

    from swift_video_ext.video import probe_video

    info = probe_video(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = 'AUTO'
        stream.codec_context.skip_frame = 'NONREF'
        kept = [frame.pts for frame in container.decode(stream)]
    return frozenset(np.searchsorted(info.frame_pts, np.asarray(kept, dtype=np.int64)).tolist())


def minimum_frames_to_decode(path: Path, indices: list[int], references: frozenset[int]) -> int:
    """Frames an exact decoder cannot skip: the targets, and the reference frames from each target's keyframe up to
    it (union)."""
    from swift_video_ext.video import probe_video

    info = probe_video(path)
    key_positions = np.searchsorted(info.frame_pts, info.keyframe_pts)
    needed = set(int(i) for i in indices)
    for index in indices:
        start = key_positions[np.searchsorted(key_positions, index, side='right') - 1]
        needed.update(p for p in range(int(start), int(index)) if p in references)
    return len(needed)


def reference_frames(path: Path, indices: list[int]) -> list[np.ndarray]:
    """Frames at ``indices`` of a plain sequential decode (converting only those)."""
    import av

    wanted, out = set(indices), {}
    with av.open(str(path)) as container:
        for position, frame in enumerate(container.decode(video=0)):
            if position in wanted:
                out[position] = frame.to_ndarray(format='rgb24')
            if position >= max(indices):
                break
    return [out[i] for i in indices]


def methods(path: Path, n: int, kind: str) -> dict:
    from swift_video_ext.video import sample_video

    table = {'ours': lambda: sample_video(path, 'uniform', num_frames=n)}
    for thread_type in THREAD_TYPES:
        table[f'full_decode[{thread_type}]'] = functools.partial(full_decode, path, thread_type)
        if kind == 'short':
            table[f'full_decode_rgb[{thread_type}]'] = functools.partial(full_decode_rgb, path, n, thread_type)
    from swift.template.vision_utils import load_video_cogvlm2, load_video_internvl, load_video_llava

    def with_num_frames(fn):  # ms-swift's loaders read NUM_FRAMES from the environment
        def call():
            previous = os.environ.get('NUM_FRAMES')
            os.environ['NUM_FRAMES'] = str(n)
            try:
                return fn()
            finally:
                if previous is None:
                    del os.environ['NUM_FRAMES']
                else:
                    os.environ['NUM_FRAMES'] = previous
        return call

    table['swift_llava'] = with_num_frames(lambda: load_video_llava(str(path)))
    if importlib.util.find_spec('decord'):
        import decord

        def decord_batch():
            reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=0)
            return reader.get_batch(np.linspace(0, len(reader) - 1, n).round().astype(int).tolist()).asnumpy()

        def native_bridge(fn):  # load_video_cogvlm2 switches decord's process-global bridge to torch
            def call():
                decord.bridge.set_bridge('native')
                return fn()
            return call

        table['decord'] = native_bridge(decord_batch)
        table['swift_internvl'] = native_bridge(lambda: load_video_internvl(str(path), num_segments=n))
        table['swift_cogvlm2'] = native_bridge(with_num_frames(lambda: load_video_cogvlm2(str(path))))
    if importlib.util.find_spec('torchcodec'):
        def torchcodec_batch():
            from torchcodec.decoders import VideoDecoder

            decoder = VideoDecoder(str(path), seek_mode='exact', num_ffmpeg_threads=0)
            count = decoder.metadata.num_frames
            return decoder.get_frames_at(indices=np.linspace(0, count - 1, n).round().astype(int).tolist())

        table['torchcodec'] = torchcodec_batch
    return table


def decord_distribution() -> str | None:
    """``decord`` or ``decord2`` (the maintained fork; same import name), whichever provides ``import decord``."""
    from importlib import metadata

    for name in ('decord2', 'decord'):
        try:
            metadata.version(name)
            return name
        except metadata.PackageNotFoundError:
            continue
    return None


def peer_methods(path: Path, indices: list[int]) -> dict:
    """Peers at *our* indices, each in its exact mode and its fastest mode; values return (N, H, W, 3) uint8.

    - ``torchcodec[exact]``: ``seek_mode='exact'`` (scans the file for an exact index, then seeks);
      ``torchcodec[approximate]``: index → time from the header's average rate, no scan (frames can differ on VFR
      clips or clips whose header disagrees with the packets).
    - ``decord2[exact]``: ``get_batch`` (accurate seeks); ``decord2[keyframes]``: each index snapped to the keyframe
      at or before it, so only keyframes are decoded (the fastest decord can go, not the requested frames).
    """
    table = {}
    if importlib.util.find_spec('torchcodec'):
        def torchcodec_at(mode: str):
            from torchcodec.decoders import VideoDecoder

            decoder = VideoDecoder(str(path), seek_mode=mode, num_ffmpeg_threads=0, dimension_order='NHWC')
            return decoder.get_frames_at(indices=indices).data.numpy()

        table['torchcodec[exact]'] = functools.partial(torchcodec_at, 'exact')
        table['torchcodec[approximate]'] = functools.partial(torchcodec_at, 'approximate')
    name = decord_distribution()
    if name:
        import decord

        def decord_at(keyframes_only: bool):
            decord.bridge.set_bridge('native')
            reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=0)
            if not keyframes_only:
                return reader.get_batch(indices).asnumpy()
            keys = np.asarray(reader.get_key_indices())
            snapped = keys[np.searchsorted(keys, indices, side='right') - 1]
            unique, inverse = np.unique(snapped, return_inverse=True)  # get_batch fails on repeated indices
            return reader.get_batch(unique.tolist()).asnumpy()[inverse]

        table[f'{name}[exact]'] = functools.partial(decord_at, False)
        table[f'{name}[keyframes]'] = functools.partial(decord_at, True)
    return table


SEEK_CAPABLE = ('decord', 'swift_internvl', 'torchcodec', 'torchcodec[exact]', 'decord2[exact]')


def bench_clip(path: Path, kind: str, n: int, repeats: int) -> dict:
    from swift_video_ext.video import sample_video

    ours = sample_video(path, 'uniform', num_frames=n)
    identical = all(np.array_equal(a, b) for a, b in zip(ours.frames, reference_frames(path, ours.indices.tolist()),
                                                         strict=True))
    minimum = minimum_frames_to_decode(path, ours.indices.tolist(), reference_positions(path))
    row = {'clip': path.name, 'kind': kind, 'n': n, 'frames': ours.num_source_frames,
           'duration_s': round(ours.duration, 1), 'identical_to_full_decode': identical,
           'minimum_frames_to_decode': minimum,
           'exact_decoding_speedup_bound': round(ours.num_source_frames / minimum, 2), 'seconds': {}}
    path.read_bytes()  # page cache
    peers = peer_methods(path, ours.indices.tolist())
    reference = np.stack(reference_frames(path, ours.indices.tolist()))
    row['peer_identical_to_full_decode'], row['peer_errors'] = {}, {}
    for name, fn in list(peers.items()):
        try:
            row['peer_identical_to_full_decode'][name] = bool(np.array_equal(fn(), reference))
        except Exception as error:  # a peer that cannot decode this clip is reported, not timed
            row['peer_errors'][name] = f'{type(error).__name__}: {str(error)[-160:]}'
            del peers[name]
    for name, fn in {**methods(path, n, kind), **peers}.items():
        if kind == 'short':
            fn()  # warm-up (imports, allocator)
        row['seconds'][name] = round(best_time(fn, repeats), 4)
    s = row['seconds']
    for baseline in ('full_decode', 'full_decode_rgb'):
        timed = [s[f'{baseline}[{t}]'] for t in THREAD_TYPES if f'{baseline}[{t}]' in s]
        if timed:
            s[baseline] = min(timed)
            row[f'ours_vs_{baseline}'] = round(s['ours'] / s[baseline], 3)
    row['speedup_vs_swift_llava'] = round(s['swift_llava'] / s['ours'], 2)
    seekers = [s[k] for k in SEEK_CAPABLE if k in s]
    if seekers:
        row['ours_vs_fastest_seek_library'] = round(s['ours'] / min(seekers), 3)
    exact_peers = [s[k] for k, same in row['peer_identical_to_full_decode'].items() if same]
    if exact_peers:
        row['ours_vs_fastest_exact_peer'] = round(s['ours'] / min(exact_peers), 3)
    if kind == 'short':
        row['target_met'] = identical and row['ours_vs_full_decode_rgb'] <= 1.05
    else:
        row['target_met'] = identical and row['speedup_vs_swift_llava'] >= 5 and \
            row.get('ours_vs_fastest_seek_library', 0) <= 1.2
    return row


CLIP_SETS = {  # name: (long clips as (seconds, width, height)), short synthesised clip
    'full': ([(300, 1280, 720), (600, 854, 480)], (8, 640, 360)),
    'quick': ([(60, 1280, 720), (60, 854, 480)], (8, 640, 360)),
    'smoke': ([(24, 192, 108)], (3, 96, 64)),  # seconds of CPU: the test suite runs this
}


def clip_set(name: str, clip_dir: Path) -> tuple[list[Path], list[Path]]:
    longs, (seconds, width, height) = CLIP_SETS[name]
    long_clips = [write_textured_clip(clip_dir / f'long_{h}p_{s}s.mp4', seconds=s, width=w, height=h)
                  for s, w, h in longs]
    short_clips = [write_textured_clip(clip_dir / f'short_{height}p_{seconds}s.mp4', seconds=seconds, width=width,
                                       height=height)]
    if name != 'smoke' and SHARED.is_dir():
        short_clips += sorted(SHARED.glob('*.mp4'))
    return long_clips, short_clips


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--clips', choices=sorted(CLIP_SETS), default='full',
                        help='full: 5 min 720p + 10 min 480p (the reported run); quick: 1 min each; smoke: tiny')
    parser.add_argument('--frames', type=int, nargs='+', default=[16, 32], help='N (default 16 32)')
    parser.add_argument('--clip-dir', default=str(OUT / 'clips'))
    parser.add_argument('--output', default=str(OUT / 'sampling.json'))
    args = parser.parse_args(argv)
    long_clips, short_clips = clip_set(args.clips, Path(args.clip_dir))
    rows = []
    for n in args.frames:
        for path in long_clips:
            rows.append(bench_clip(path, 'long', n, args.repeats))
            print(json.dumps(rows[-1]), flush=True)
        for path in short_clips:
            rows.append(bench_clip(path, 'short', n, max(args.repeats, 5)))
            print(json.dumps(rows[-1]), flush=True)
    return write_report({**machine(), 'clips': args.clips, 'repeats': args.repeats, 'rows': rows,
                         'all_targets_met': all(r['target_met'] for r in rows),
                         'all_identical_to_full_decode': all(r['identical_to_full_decode'] for r in rows),
                         'median_speedup_vs_swift_llava_long': statistics.median(
                             r['speedup_vs_swift_llava'] for r in rows if r['kind'] == 'long')}, args.output)


if __name__ == '__main__':
    main()
