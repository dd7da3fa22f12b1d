// Drag-and-drop and an upload progress bar for the import form. Without JavaScript the form posts as usual.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const zone = document.getElementById("dropzone");
  const bar = document.getElementById("upload-progress");
  ["dragenter", "dragover"].forEach((e) => zone.addEventListener(e, (ev) => { ev.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((e) => zone.addEventListener(e, (ev) => { ev.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (ev) => {
    if (ev.dataTransfer.files.length) { input.files = ev.dataTransfer.files; zone.firstChild.textContent = ev.dataTransfer.files[0].name + " "; }
  });
  input.addEventListener("change", () => { if (input.files.length) zone.firstChild.textContent = input.files[0].name + " "; });
  form.addEventListener("submit", (ev) => {
    if (!window.XMLHttpRequest || !input.files.length) return;
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    bar.hidden = false;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
    xhr.upload.onload = () => { bar.removeAttribute("value"); };  // uploaded: now validating (indeterminate)
    xhr.onload = () => { window.location.href = xhr.responseURL || window.location.href; };
    xhr.onerror = () => { bar.hidden = true; alert("上传失败，请检查网络后重试"); };
    xhr.send(new FormData(form));
  });
})();
