from attractor.cli import main

raise SystemExit(main())
