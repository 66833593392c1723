"""Time to render one issue's email, calling the build's own renderer in-process.

    python bench/email_render.py PROJECT_DIR N

Sets the project up the way `pelican` does (settings, plugin, the newsletter
generator's context), then renders N emails round-robin over the published
issues with curator.build.emails.EmailRenderer, timing two things per email: the
HTML and text parts (`render`), and the whole email the build writes (render,
the bytes of the .eml). The file writes the build also does
are left out: they are disk, not rendering. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    project, count = argv[0], int(argv[1])
    os.chdir(project)
    from pelican import Pelican
    from pelican.settings import read_settings

    settings = read_settings("pelicanconf.py", override={"OUTPUT_PATH": os.path.join(project, "output")})
    Pelican(settings)  # loads the plugin and fills the curator's defaults, as a build does
    from curator.build import emails
    from curator.build.generator import NewsletterGenerator

    generator = NewsletterGenerator(context=settings.copy(), settings=settings, path=settings["PATH"],
                                    theme=settings["THEME"], output_path=settings["OUTPUT_PATH"])
    generator.generate_context()
    issues = [issue for niche in generator.niches for issue in niche.issues]
    if not issues:
        raise SystemExit("no published issues to render")
    start = time.perf_counter()
    renderer = emails.EmailRenderer(generator.html_env, settings)
    setup_ms = (time.perf_counter() - start) * 1000
    renderer.render(issues[0])  # warm the template caches, as the build's second email finds them
    parts, whole, sizes = [], [], []
    for n in range(count):
        issue = issues[n % len(issues)]
        t0 = time.perf_counter()
        rendered = renderer.render(issue)
        t1 = time.perf_counter()
        data = rendered.eml
        t2 = time.perf_counter()
        parts.append((t1 - t0) * 1000)
        whole.append((t2 - t0) * 1000)
        sizes.append(rendered.html_bytes)
        assert b"multipart/alternative" in data
    print(json.dumps({"function": "curator.build.emails.EmailRenderer.render + .eml", "issues": len(issues),
                      "renders": count, "setup_ms": setup_ms, "samples_ms": whole, "parts_samples_ms": parts,
                      "html_bytes_max": max(sizes), "eml_bytes_last": len(data)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
