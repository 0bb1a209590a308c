import numpy as np, lightgbm as lgb, xgboost as xgb, os
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeRegressor
from skl2onnx import to_onnx
rng=np.random.default_rng(1)
X=rng.normal(size=(200,4)); y=(X[:,0]+X[:,1]>0).astype(int); yr=X[:,0]*2+X[:,2]
X[::7,1]=np.nan
b=lgb.train({"objective":"binary","num_leaves":4,"verbose":-1},lgb.Dataset(X,y),num_boost_round=3)
b.save_model("lightgbm/binary.txt")
b=lgb.train({"objective":"regression","num_leaves":3,"verbose":-1},lgb.Dataset(X,yr),num_boost_round=2)
b.save_model("lightgbm/regression.txt")
b=lgb.train({"objective":"multiclass","num_class":3,"num_leaves":3,"verbose":-1},lgb.Dataset(X,(X[:,0]>0).astype(int)+(X[:,1]>0)),num_boost_round=2)
b.save_model("lightgbm/multiclass.txt")
Xc=X.copy(); Xc[:,3]=rng.integers(0,5,200)
b=lgb.train({"objective":"binary","num_leaves":4,"verbose":-1,"min_data_per_group":5,"cat_smooth":1},lgb.Dataset(Xc,y,categorical_feature=[3]),num_boost_round=2)
b.save_model("lightgbm/categorical.txt")
m=xgb.XGBClassifier(n_estimators=3,max_depth=2).fit(X,y)
m.get_booster().save_model("xgboost/binary.json"); m.get_booster().save_model("xgboost/binary.ubj")
m=xgb.XGBRegressor(n_estimators=2,max_depth=2).fit(X,yr)
m.get_booster().save_model("xgboost/regression.json")
m=xgb.XGBClassifier(n_estimators=2,max_depth=2).fit(X,(X[:,0]>0).astype(int)+(X[:,1]>0))
m.get_booster().save_model("xgboost/multiclass.ubj")
Xf=np.nan_to_num(X).astype(np.float32)
open("onnx/logistic.onnx","wb").write(to_onnx(LogisticRegression().fit(Xf,y),Xf[:1],options={"zipmap":False}).SerializeToString())
open("onnx/tree.onnx","wb").write(to_onnx(DecisionTreeRegressor(max_depth=3).fit(Xf,yr),Xf[:1]).SerializeToString())
