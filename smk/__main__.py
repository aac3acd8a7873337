from smk.cli import main

raise SystemExit(main())
