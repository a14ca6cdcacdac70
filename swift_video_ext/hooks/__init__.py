"""What runs inside ms-swift's own pipelines for our model types: the token-budget check and the no-usable-rows
account at ``swift sft`` / ``swift rlhf`` start-up (:mod:`.train_check`), and ``swift infer`` going on past a row it
cannot encode (:mod:`.infer_check`). They sit above the model packages and the planner they use; every change they
make to ms-swift goes through :mod:`swift_video_ext.common.seam`."""
