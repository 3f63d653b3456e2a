# Paths in italics get a zero-width break point (\:) after each slash: an
# install prefix can be longer than a line (distcheck's is), and groff warns on
# a word it cannot break.
/^\.IR\{0,1\} / s|/\([^/ ]\)|/\\:\1|g
