from regcli.cli.app import run

run()
