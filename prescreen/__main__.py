from prescreen.cli import main

raise SystemExit(main())
