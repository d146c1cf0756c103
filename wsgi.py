from service import load_app

app = load_app()
