"""`bank360 bench`: the whole pipeline at bank scale, stage by stage, against floors measured in the same run."""
