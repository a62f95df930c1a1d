"""Form plumbing shared by the apps: the file upload every import page uses."""

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, extensions=(".csv", ".xlsx"), max_bytes=20 * 1024 * 1024, **kwargs):
        super().__init__(*args, **kwargs)
        self.extensions, self.max_bytes = extensions, max_bytes
        self.fields["file"].help_text = _("%(types)s, at most %(size)s MB") % {
            "types": ", ".join(extensions),
            "size": max_bytes // (1024 * 1024),
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(self.extensions):
            raise forms.ValidationError(_("Upload a %(types)s file.") % {"types": " / ".join(self.extensions)})
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": self.max_bytes // (1024 * 1024)}
            )
        return upload
