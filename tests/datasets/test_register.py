"""Every dataset of the table is registered with ms-swift, each with its own preprocessor, loader and help."""

import pytest


def test_each_dataset_is_registered_with_its_env_var_and_preprocessor(monkeypatch):
    from swift.dataset import DATASET_MAPPING

    from swift_video_ext.datasets import captions, grounding, kinetics, videoinstruct
    from swift_video_ext.datasets.register import DATASETS, register

    register()
    expected = {videoinstruct.DATASET_NAME: (videoinstruct.PATH_ENV, videoinstruct.VideoInstructPreprocessor),
                grounding.CHARADES_NAME: (grounding.CHARADES_ENV, grounding.GroundingPreprocessor),
                grounding.ACTIVITYNET_NAME: (grounding.ACTIVITYNET_ENV, grounding.GroundingPreprocessor),
                captions.DATASET_NAME: (captions.PATH_ENV, captions.VideoCaptionPreprocessor),
                kinetics.DATASET_NAME: (kinetics.PATH_ENV, kinetics.KineticsFramesPreprocessor)}
    assert [spec.name for spec in DATASETS] == list(expected)
    for name, (env, preprocessor) in expected.items():
        meta = DATASET_MAPPING[name]
        assert type(meta.preprocess_func) is preprocessor and meta.tags[0] == 'video' and env in meta.help
        monkeypatch.delenv(env, raising=False)
        with pytest.raises(ValueError, match=rf'--dataset {name} reads its annotation file from \${env}'):
            meta.loader().load()
    charades, activitynet = DATASET_MAPPING[grounding.CHARADES_NAME], DATASET_MAPPING[grounding.ACTIVITYNET_NAME]
    assert charades.preprocess_func is not activitynet.preprocess_func
