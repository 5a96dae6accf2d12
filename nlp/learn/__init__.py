"""The learned router: TF-IDF and a linear model trained on a centre's own history, stacked on the
keyword router's evidence (issue 10).

Nothing here is imported by `nlp.router`: scikit-learn loads only when a model is trained or
evaluated; routing with a model needs numpy alone (the model file holds plain arrays), and
`hotline route` without a model imports neither. The keyword router
stays in charge of cold start, labels the model never saw (through its evidence features) and
emergencies.
"""
