import CCDQ
