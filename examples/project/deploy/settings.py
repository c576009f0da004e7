# Demo: credentials committed by mistake (generated, never valid anywhere). `rampart demo` and
# `rampart fs examples/project` report both, masked.
AWS_ACCESS_KEY_ID = "AKIAHBRPOIGF3CBFNOBM"
AWS_SECRET_ACCESS_KEY = "1C5Jau2RJtBRnlWmTSHf6pWkLUyifDLkDmWJ6UuV"
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "wnQrS7RPeMOkIUpkDyr7OS"}}
