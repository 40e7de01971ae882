# Reads a TAP stream and prints every failed test point with the subtests it sits in, and the first
# lines of its diagnostic block, so the tail of a CI log names what failed.
/^ *# Subtest: / {
  match($0, /^ */); depth = RLENGTH / 4
  name[depth] = substr($0, RLENGTH + 12)
  diag = 0
  next
}
/^ *not ok / {
  match($0, /^ */); depth = RLENGTH / 4
  path = ""
  for (i = 0; i < depth; i++) path = path name[i] " > "
  print "FAILED: " path substr($0, RLENGTH + 8)
  diag = 1; shown = 0
  next
}
diag && /^ *(---|\.\.\.)$/ { if ($0 ~ /\.\.\.$/) diag = 0; next }
diag && /^ *(ok|# Subtest:)/ { diag = 0 }
diag && shown < 12 { print "    " $0; shown++ }
