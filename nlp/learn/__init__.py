"""The learned router: TF-IDF and a linear model trained on a centre's own history, stacked on the
keyword router's evidence (issue 10).

Nothing here is imported by `nlp.router`: scikit-learn loads only when a model is trained, evaluated
or configured, so `hotline route` without a model starts as quickly as before. The keyword router
stays in charge of cold start, labels the model never saw (through its evidence features) and
emergencies.
"""
