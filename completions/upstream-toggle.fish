complete --keep-order --exclusive --command upstream-toggle --arguments "(COMPLETE=fish upstream-toggle -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
