/*
 * review_page.c - the one page `consentblur review` serves: the outputs as
 * thumbnails, and per file a large view with each face's box and decision
 * drawn over the output, where staff drag a rectangle (or click a kept
 * face) to redact it. Plain HTML, CSS and JavaScript in one string, no
 * external resources; its texts come from the message table below, in the
 * program's language (review_server.c puts them into the page as JSON).
 *
 * What the page asks of the server (review_server.c): GET /api/files (the
 * outputs, their faces and manual redactions), GET /file (an output as it
 * is now), GET /frame (a video frame of the output, as JPEG), POST
 * /api/redact (form fields name, sha256, x, y, w, h, face, first, last;
 * the token in the X-Review-Token header). The token comes from the page's
 * own address (?token=...). A selection is drawn with the ellipse that will
 * be redacted around it (pipeline/redact.c's region for a face of that box:
 * 1.7 x 2 times it, raised by 0.08 of its height; keep the two in step).
 */
#include "review_server.h"

#include <stddef.h>

/* The page's texts: key (used by the script) and message. */
const cb_review_text cb_review_texts[] = {
    {"title", N_("Review before publishing")},
    {"intro", N_("Every output of this folder, with what was decided about each face. Open a "
                 "file, drag a rectangle over anything that must not be shown (a face that was "
                 "missed, a name tag) or click a face that was kept, and confirm: it is "
                 "redacted in the file at once. Nothing can be made visible again here.")},
    {"kept", N_("kept")},
    {"redacted", N_("redacted")},
    {"by_hand", N_("redacted by hand")},
    {"confirm_region", N_("Redact this region")},
    {"confirm_face", N_("Redact this face")},
    {"cancel", N_("Cancel")},
    {"working", N_("Redacting...")},
    {"done", N_("Redacted and saved.")},
    {"failed", N_("Failed:")},
    {"not_on_record", N_("This file is not on record as an output of a run: it cannot be "
                         "changed here.")},
    {"stale", N_("This file is an older copy: regions redacted by hand since are missing. "
                 "Redacting anything puts them back.")},
    {"no_faces", N_("no faces found")},
    {"frames", N_("frames")},
    {"frame", N_("frame")},
    {"whole_clip", N_("whole clip")},
    {"from_frame", N_("from frame")},
    {"to_frame", N_("to frame")},
    {"back", N_("All files")},
    {"drag_hint", N_("Drag a rectangle over what must be redacted, or click a kept face.")},
    {"purpose", N_("purpose")},
    {"no_files", N_("No outputs in this folder.")},
    {NULL, NULL}};

const char cb_review_page_head[] =
    "<!DOCTYPE html>\n<html lang=\"";

/* After the language code: the rest of the page up to the texts' JSON. */
const char cb_review_page_middle[] =
    "\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>consentblur review</title>\n"
    "<style>\n"
    "body{font:15px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f2;color:#222}\n"
    "header{background:#264653;color:#fff;padding:12px 20px}h1{margin:0;font-size:20px}\n"
    "header p{margin:4px 0 0;max-width:70em}main{padding:16px 20px}\n"
    "#grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}\n"
    ".thumb{background:#fff;border:1px solid #ccc;border-radius:6px;padding:6px;"
    "cursor:pointer;text-align:left;font:inherit}\n"
    ".thumb img{width:100%;height:150px;object-fit:contain;background:#ddd;display:block}\n"
    ".thumb .n{font-weight:600;word-break:break-all}.thumb .s{font-size:13px;color:#555}\n"
    ".warn{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;border-radius:4px}\n"
    "#stage{position:relative;display:inline-block;max-width:100%;user-select:none}\n"
    "#big{display:block;max-width:100%;max-height:80vh}\n"
    "#overlay{position:absolute;left:0;top:0;width:100%;height:100%;cursor:crosshair}\n"
    "#bar{margin:8px 0;display:flex;gap:8px;flex-wrap:wrap;align-items:center}\n"
    "button{font:inherit;padding:4px 12px}#confirm{background:#b00020;color:#fff;"
    "border:0;border-radius:4px}\n"
    "ul.faces{padding-left:20px}.k{color:#1b7a3a}.r{color:#666}.m{color:#7b2cbf}\n"
    "</style></head><body>\n"
    "<header><h1 id=\"h\"></h1><p id=\"intro\"></p></header>\n"
    "<main><div id=\"list\"><div id=\"grid\"></div></div>\n"
    "<div id=\"view\" hidden><p><button id=\"back\"></button> <b id=\"vname\"></b></p>\n"
    "<p id=\"vwarn\" class=\"warn\" hidden></p>\n"
    "<div id=\"vframes\" hidden><label><span id=\"lframe\"></span> <input id=\"fnum\" "
    "type=\"range\" min=\"0\" value=\"0\"> <output id=\"fout\">0</output></label><br>"
    "<label><input id=\"whole\" type=\"checkbox\" checked> <span id=\"lwhole\"></span></label> "
    "<label><span id=\"lfrom\"></span> <input id=\"ffrom\" type=\"number\" min=\"0\" "
    "value=\"0\" style=\"width:6em\"></label> <label><span id=\"lto\"></span> <input id=\"fto\" "
    "type=\"number\" min=\"0\" value=\"0\" style=\"width:6em\"></label></div>\n"
    "<p id=\"hint\"></p>\n"
    "<div id=\"stage\"><img id=\"big\" alt=\"\"><canvas id=\"overlay\"></canvas></div>\n"
    "<div id=\"bar\"><button id=\"confirm\" hidden></button><button id=\"cancel\" hidden>"
    "</button><span id=\"status\" data-state=\"idle\"></span></div>\n"
    "<ul class=\"faces\" id=\"faces\"></ul></div></main>\n"
    "<script>const T=";

/* After the texts' JSON: the script. */
const char cb_review_page_tail[] =
    ";\n"
    "const token=new URLSearchParams(location.search).get('token')||'';\n"
    "const $=id=>document.getElementById(id);\n"
    "let files=[],cur=null,sel=null,drag=null;\n"
    "function q(p,o){const u=new URLSearchParams(o||{});u.set('token',token);"
    "return p+'?'+u.toString();}\n"
    "function setText(){$('h').textContent=T.title;$('intro').textContent=T.intro;"
    "$('back').textContent=T.back;$('cancel').textContent=T.cancel;"
    "$('lwhole').textContent=T.whole_clip;$('lfrom').textContent=T.from_frame;"
    "$('lto').textContent=T.to_frame;$('lframe').textContent=T.frame;"
    "$('hint').textContent=T.drag_hint;}\n"
    "function src(f,n){return f.kind==='video'?q('/frame',{name:f.name,n:n||0,v:f.sha256})"
    ":q('/file',{name:f.name,v:f.sha256});}\n"
    "async function load(){const r=await fetch(q('/api/files'));"
    "if(!r.ok)throw new Error(r.status);files=(await r.json()).files;}\n"
    "function grid(){const g=$('grid');g.textContent='';if(!files.length){"
    "g.textContent=T.no_files;return;}for(const f of files){"
    "const b=document.createElement('button');b.className='thumb';b.dataset.name=f.name;"
    "const i=document.createElement('img');i.loading='lazy';i.alt='';i.src=src(f,0);"
    "const n=document.createElement('div');n.className='n';n.textContent=f.name;"
    "const s=document.createElement('div');s.className='s';"
    "const k=f.faces.filter(x=>x.keep).length;"
    "s.textContent=f.state==='unknown'?T.not_on_record:k+' '+T.kept+', '+"
    "(f.faces.length-k)+' '+T.redacted+(f.edits.length?', '+f.edits.length+' '+T.by_hand:'');"
    "b.append(i,n,s);b.onclick=()=>open_(f.name);g.append(b);}}\n"
    "function open_(name){cur=files.find(f=>f.name===name);if(!cur)return;sel=null;"
    "$('list').hidden=true;$('view').hidden=false;$('vname').textContent=cur.name;"
    "const w=$('vwarn');w.hidden=cur.state==='ok';"
    "w.textContent=cur.state==='unknown'?T.not_on_record:T.stale;"
    "$('vframes').hidden=cur.kind!=='video';if(cur.kind==='video'){"
    "$('fnum').max=Math.max(0,cur.frames-1);$('fto').value=Math.max(0,cur.frames-1);}"
    "$('big').onload=draw;$('big').src=src(cur,+$('fnum').value);faces();bar();}\n"
    "function label(f){if(f.keep)return T.kept+': '+(f.name||f.external_id)+' ('+"
    "f.external_id+') - '+T.purpose+' '+cur.purpose;return T.redacted+': '+f.reason;}\n"
    "function faces(){const u=$('faces');u.textContent='';"
    "if(!cur.faces.length){const li=document.createElement('li');li.textContent=T.no_faces;"
    "u.append(li);}for(const f of cur.faces){const li=document.createElement('li');"
    "li.className=f.keep?'k':'r';li.textContent=label(f)+(cur.kind==='video'?' ('+T.frames+' '+"
    "f.first+'-'+f.last+')':'');u.append(li);}for(const e of cur.edits){"
    "const li=document.createElement('li');li.className='m';li.textContent=T.by_hand+': '+"
    "e.actor+', '+e.at+(e.first>=0?' ('+T.frames+' '+e.first+'-'+e.last+')':'');u.append(li);}}\n"
    "function shown(b,n){if(cur.kind!=='video')return true;return n>=b.first&&n<=b.last;}\n"
    "function boxAt(f,n){if(f.boxes&&n>=f.first&&n<=f.last){const i=(n-f.first)*4;"
    "return [f.boxes[i],f.boxes[i+1],f.boxes[i+2],f.boxes[i+3]];}return f.box;}\n"
    "function draw(){const img=$('big'),c=$('overlay');c.width=img.naturalWidth;"
    "c.height=img.naturalHeight;const x=c.getContext('2d');x.clearRect(0,0,c.width,c.height);"
    "const n=+$('fnum').value,lw=Math.max(2,c.width/400);x.lineWidth=lw;"
    "x.font=Math.max(12,c.width/60)+'px sans-serif';"
    "for(const f of cur.faces){if(!shown(f,n))continue;const b=boxAt(f,n);"
    "x.strokeStyle=f.keep?'#1bd15a':'#bbbbbb';x.strokeRect(b[0],b[1],b[2],b[3]);"
    "x.fillStyle=x.strokeStyle;x.fillText(label(f),b[0],Math.max(12,b[1]-lw*2));}"
    "for(const e of cur.edits){if(e.first>=0&&(n<e.first||n>e.last))continue;"
    "x.strokeStyle='#b15cff';x.strokeRect(e.x,e.y,e.w,e.h);x.fillStyle=x.strokeStyle;"
    "x.fillText(T.by_hand,e.x,e.y+e.h+14);}"
    "if(sel){x.strokeStyle='#ff2a2a';x.setLineDash([8,6]);x.strokeRect(sel.x,sel.y,sel.w,sel.h);"
    "const ry=sel.h,rx=Math.max(0.85*sel.w,0.66*ry);x.beginPath();"
    "x.ellipse(sel.x+sel.w/2,sel.y+0.42*sel.h,rx,ry,0,0,2*Math.PI);x.stroke();"
    "x.setLineDash([]);}}\n"
    "function pos(ev){const c=$('overlay'),r=c.getBoundingClientRect();"
    "return [(ev.clientX-r.left)*c.width/r.width,(ev.clientY-r.top)*c.height/r.height];}\n"
    "function bar(){const can=cur&&cur.state!=='unknown'&&sel;$('confirm').hidden=!can;"
    "$('cancel').hidden=!can;if(can)$('confirm').textContent=sel.face>=0?T.confirm_face:"
    "T.confirm_region;}\n"
    "function faceAt(p){const n=+$('fnum').value;for(const f of cur.faces){"
    "if(!f.keep||!shown(f,n))continue;const b=boxAt(f,n);if(p[0]>=b[0]&&p[0]<=b[0]+b[2]&&"
    "p[1]>=b[1]&&p[1]<=b[1]+b[3])return f;}return null;}\n"
    "function down(ev){if(!cur||cur.state==='unknown')return;ev.preventDefault();"
    "drag=pos(ev);sel=null;bar();draw();}\n"
    "function move(ev){if(!drag)return;const p=pos(ev);sel={x:Math.min(drag[0],p[0]),"
    "y:Math.min(drag[1],p[1]),w:Math.abs(p[0]-drag[0]),h:Math.abs(p[1]-drag[1]),face:-1};"
    "draw();}\n"
    "function up(ev){if(!drag)return;move(ev);const p=pos(ev),d=drag;drag=null;"
    "if(!sel||sel.w<4||sel.h<4){const f=faceAt(p)||faceAt(d);sel=null;if(f){"
    "const b=boxAt(f,+$('fnum').value);sel={x:b[0],y:b[1],w:b[2],h:b[3],face:f.index};}}"
    "bar();draw();}\n"
    "function status(s,t){$('status').dataset.state=s;$('status').textContent=t;}\n"
    "async function confirm_(){if(!sel)return;const b=new URLSearchParams();"
    "b.set('name',cur.name);b.set('sha256',cur.sha256);"
    "for(const k of ['x','y','w','h'])b.set(k,Math.round(sel[k]));b.set('face',sel.face);"
    "let a=-1,z=-1;if(cur.kind==='video'&&!$('whole').checked){a=+$('ffrom').value;"
    "z=+$('fto').value;}else if(cur.kind==='video'){a=0;z=cur.frames-1;}"
    "b.set('first',a);b.set('last',z);status('busy',T.working);$('confirm').disabled=true;"
    "try{const r=await fetch('/api/redact',{method:'POST',headers:{'X-Review-Token':token},"
    "body:b});const j=await r.json();if(!r.ok)throw new Error(j.error||r.status);"
    "sel=null;await load();const name=cur.name;open_(name);status('done',T.done);}"
    "catch(e){status('failed',T.failed+' '+e.message);}finally{$('confirm').disabled=false;}}\n"
    "window.addEventListener('load',async()=>{setText();const c=$('overlay');"
    "c.addEventListener('mousedown',down);window.addEventListener('mousemove',move);"
    "window.addEventListener('mouseup',up);$('confirm').onclick=confirm_;"
    "$('cancel').onclick=()=>{sel=null;bar();draw();};"
    "$('back').onclick=async()=>{$('view').hidden=true;$('list').hidden=false;cur=null;"
    "await load();grid();};"
    "$('fnum').oninput=()=>{$('fout').value=$('fnum').value;$('big').src=src(cur,"
    "+$('fnum').value);};"
    "try{await load();grid();status('idle','');}catch(e){status('failed',T.failed+' '+"
    "e.message);}});\n"
    "</script></body></html>\n";
