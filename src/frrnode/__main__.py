from frrnode.cli import app

app()
