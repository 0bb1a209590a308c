"""Writes failure-model.txt, the LightGBM model docs/clients.md serves (run once; the file is
committed so the examples' numbers never change): a binary classifier of machine failure from
temperature and vibration, 8 trees of at most 7 leaves, trained on 2000 synthetic machines.

    python make_model.py   # needs numpy and lightgbm 4.7 (tools/oracle-requirements.txt)
"""
import lightgbm as lgb
import numpy as np

rng = np.random.default_rng(7)
n = 2000
temp = 40 + rng.random(n) * 60
vibration = rng.random(n)
failed = ((temp > 75) & (vibration > 0.3)).astype(int)
failed = np.where(rng.random(n) < 0.05, 1 - failed, failed)  # 5% label noise
booster = lgb.train(
    {"objective": "binary", "num_leaves": 7, "learning_rate": 0.2, "min_data_in_leaf": 20,
     "verbose": -1, "seed": 1, "deterministic": True},
    lgb.Dataset(np.column_stack([temp, vibration]), failed, feature_name=["temp", "vibration"]),
    num_boost_round=8,
)
booster.save_model("failure-model.txt")
print(booster.predict(np.array([[91.5, 0.8], [55.0, 0.1]])))
