// an ordinary header of the fixture tree
